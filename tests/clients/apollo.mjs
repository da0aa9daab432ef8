// Apollo Client 4 against a live gateway, as a frontend on another origin would use it:
// InMemoryCache with relayStylePagination, PersistedQueryLink (GET for hashed queries),
// HttpLink and BatchHttpLink, an admin mutation normalised into the cache. Prints one
// JSON line of what it saw; the Python test asserts on it.
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { BatchHttpLink } from '@apollo/client/link/batch-http';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { relayStylePagination } from '@apollo/client/utilities';

const [url, origin, adminToken] = process.argv.slice(2);
const seen = { requests: [], corsRefused: 0, batches: [] };

// Every request carries the page's Origin; every answer must let that origin read it.
async function browserLikeFetch(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('Origin', origin);
  const response = await fetch(input, { ...init, headers });
  if (response.headers.get('access-control-allow-origin') !== origin) seen.corsRefused += 1;
  const body = init.body ? JSON.parse(init.body) : null;
  seen.requests.push({
    method: init.method ?? 'GET',
    status: response.status,
    hashOnly: init.method === 'GET' ? !new URL(input).searchParams.get('query') : body && !Array.isArray(body) && !body.query,
  });
  if (Array.isArray(body)) seen.batches.push(body.length);
  return response;
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const cache = new InMemoryCache({
  typePolicies: { Query: { fields: { restaurants: relayStylePagination(['filter', 'orderBy']) } } },
});
const client = new ApolloClient({
  cache,
  link: ApolloLink.from([
    new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
    new HttpLink({ uri: url, fetch: browserLikeFetch, headers: { authorization: `Bearer ${adminToken}` } }),
  ]),
});

const PAGE = gql`query Page($after: String) {
  restaurants(first: 5, after: $after, orderBy: NAME) {
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
// A list that grows, as an infinite scroll's: fetchMore merges each page into the field.
const feed = client.watchQuery({ query: PAGE });
const subscription = feed.subscribe(() => {});
let after = (await feed.refetch()).data.restaurants.pageInfo.endCursor;
for (let page = 0; page < 3; page += 1) {
  const more = await feed.fetchMore({ variables: { after } });
  after = more.data.restaurants.pageInfo.endCursor;
}
subscription.unsubscribe();
// relayStylePagination merged every page under one field of the cache.
const merged = client.readQuery({ query: PAGE });
const ids = merged.restaurants.edges.map((e) => e.node.id);

// The same query again: the server knows its hash now, so it goes by hash alone.
await client.query({ query: PAGE, fetchPolicy: 'network-only' });

const FLAG = gql`query Flag { flag(name: "api_v4_reviews") { id name stage rolloutPercentage version } }`;
const before = (await client.query({ query: FLAG })).data.flag;
await client.mutate({
  mutation: gql`mutation { setFlagStage(name: "api_v4_reviews", stage: PARTIAL, force: true, reason: "client test") { id stage version } }`,
});
await client.mutate({
  mutation: gql`mutation { setRolloutPercentage(name: "api_v4_reviews", percentage: 35) { id rolloutPercentage version } }`,
});
// No refetch: the mutation's answer updated the normalised FeatureFlag in the cache.
const after2 = client.readQuery({ query: FLAG }).flag;

const batching = new ApolloClient({
  cache: new InMemoryCache(),
  link: new BatchHttpLink({ uri: url, fetch: browserLikeFetch, batchMax: 5, batchInterval: 20 }),
});
const [stats, count] = await Promise.all([
  batching.query({ query: gql`query Stats { statistics { totalRestaurants } }` }),
  batching.query({ query: gql`query Count { restaurants(first: 1) { edges { node { id } } } }` }),
]);

console.log(JSON.stringify({
  pages: { ids, unique: new Set(ids).size, hasNextPage: merged.restaurants.pageInfo.hasNextPage },
  flag: { id: before.id, before: [before.stage, before.rolloutPercentage], after: [after2.stage, after2.rolloutPercentage] },
  batch: { stats: stats.data.statistics.totalRestaurants, count: count.data.restaurants.edges.length },
  seen,
}));
