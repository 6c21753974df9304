import { ImportContent } from "./ImportContent.tsx";
import { RunDetail } from "./RunDetail.tsx";
import { RunHistory } from "./RunHistory.tsx";
import { StartAnalysis } from "./StartAnalysis.tsx";

export function AnalysesScreen({ runId }: { runId?: string }) {
  if (runId) return <RunDetail id={runId} />;
  return (
    <section>
      <h1>Analyses</h1>
      <p className="muted">
        Import your posts or texts, then let an agent grade each source for risk. Progress is live; results stay with
        you.
      </p>
      <ImportContent />
      <StartAnalysis />
      <RunHistory />
    </section>
  );
}
