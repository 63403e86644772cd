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
  const parameters = new URLSearchParams(window.location.search);

  function remember(name, value) {
    if (value) {
      parameters.set(name, value);
    } else {
      parameters.delete(name);
    }
    history.replaceState(null, "", "?" + parameters.toString());
  }

  const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });

  function Archive() {
    const [query, setQuery] = React.useState(parameters.get("q") || EXAMPLE_QUERY);
    const [variables, setVariables] = React.useState(parameters.get("variables") || undefined);
    const explorer = React.useMemo(() => GraphiQLPluginExplorer.explorerPlugin(), []);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
      query: query,
      variables: variables,
      onEditQuery: function (value) { setQuery(value); remember("q", value); },
      onEditVariables: function (value) { setVariables(value); remember("variables", value); },
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(Archive));
})();
