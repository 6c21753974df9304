export function AnalysesScreen(_props: { runId?: string }) {
  return (
    <section>
      <h1>Analyses</h1>
      <p className="empty">Analyses arrive with the analysis API.</p>
    </section>
  );
}
