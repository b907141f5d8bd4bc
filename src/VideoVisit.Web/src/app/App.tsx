export function App() {
  return (
    <div className="app-shell" data-app-shell="ready">
      <header className="app-header">
        <span className="brand">VideoVisit</span>
      </header>
      <main id="main" className="app-main">
        <h1>Video visits</h1>
        <p>Sign in to see your upcoming events.</p>
      </main>
    </div>
  );
}
