"""The v4 service layer: business rules over the read ports and a unit of work,
one module per domain, and the layer that bundles them.
"""
