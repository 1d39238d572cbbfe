// Apollo Client (a normalising cache) against the running server: read the form, save,
// read the form back from the cache, save again with the version the cache holds.
// Prints one JSON line with what each step saw. Run by tests/test_apollo_cache.py.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";

const { URL: url, TOKEN: token, ORG: org } = process.env;
const client = new ApolloClient({
  link: new HttpLink({ uri: url, headers: { Authorization: `Bearer ${token}` }, fetch }),
  cache: new InMemoryCache(),
});

const FORM = gql`
  query Form($org: String) {
    declaration(organizationCode: $org) {
      id status version
      undertakings { id quantity item { id number } }
    }
  }`;
// Another screen: the same declaration with another selection.
const BADGE = gql`
  query Badge($org: String) { declaration(organizationCode: $org) { id status deadline } }`;
const SAVE = gql`
  mutation Save($input: SaveUndertakingsInput!) {
    saveUndertakings(input: $input) {
      declaration { id status version undertakings { id quantity item { id number } } }
      errors { code message }
    }
  }`;

const variables = { org };
const form = () => client.readQuery({ query: FORM, variables })?.declaration ?? null;
const save = async (quantity) => {
  const version = form().version; // what the screen shows: the cache
  const { data } = await client.mutate({
    mutation: SAVE,
    variables: { input: { organizationCode: org, version,
                          rows: [{ itemNumber: "3.1", quantity }] } },
  });
  return { sentVersion: version, errors: data.saveUndertakings.errors.map((e) => e.code) };
};

await client.query({ query: FORM, variables });
const first = await save(2);
const afterFirst = form();
await client.query({ query: BADGE, variables, fetchPolicy: "network-only" });
const afterBadge = form();
const second = await save(3);
const afterSecond = form();
console.log(JSON.stringify({ first, afterFirst, afterBadge, second, afterSecond }));
