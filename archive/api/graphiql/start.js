// Starts GraphiQL on this page, posting to /graphql on the same origin. Served by the
// archive itself with every other asset (archive/api/ide.py): nothing comes from a CDN.
(function () {
  "use strict";
  const EXAMPLE_QUERY = `# GraphiQL, served by records-archive (development mode).
# Ctrl-Enter runs the query.
{
  search(query: "chu ky so", first: 5) {
    totalCount
    edges {
      score
      highlights { page snippet }
      node { id documentNumber subject }
    }
  }
}
`;
  const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });

  function Archive() {
    // No ?q= in the address: the gate refuses GET with a query string (no GraphQL over GET).
    const explorer = React.useMemo(() => GraphiQLPluginExplorer.explorerPlugin(), []);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
      defaultQuery: EXAMPLE_QUERY,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(Archive));
})();
