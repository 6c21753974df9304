import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "urql";
import type { ContentSource } from "../../../gql/graphql.ts";
import { CheckboxField, SelectField } from "../../components/Field.tsx";
import { FormStatus } from "../../components/status.tsx";
import { errorMessage } from "../../lib/errors.ts";
import { navigate } from "../../lib/router.tsx";
import { AgentChoicesQuery, SOURCES, StartAnalysisMutation } from "./queries.ts";

export function StartAnalysis() {
  const [sources, setSources] = useState<ContentSource[]>([]);
  const [agentId, setAgentId] = useState("");
  const [agents] = useQuery({ query: AgentChoicesQuery });
  const [result, start] = useMutation(StartAnalysisMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await start({ sources: sources.length ? sources : null, userAgentId: agentId || null });
    if (r.data) navigate(`/analyses/${encodeURIComponent(r.data.startAnalysis.id)}`);
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby="start-h">
      <h2 id="start-h">2. Start an analysis</h2>
      <fieldset className="scopes">
        <legend>Sources (none ticked: every source you have content for)</legend>
        {SOURCES.map((s) => (
          <CheckboxField
            key={s.value}
            label={s.label}
            checked={sources.includes(s.value)}
            onChange={(e) =>
              setSources((cur) => (e.target.checked ? [...cur, s.value] : cur.filter((x) => x !== s.value)))
            }
          />
        ))}
      </fieldset>
      <SelectField
        label="Agent (optional)"
        value={agentId}
        onChange={(e) => setAgentId(e.target.value)}
        hint="Its custom prompt guides the scorer when an AI provider is configured."
      >
        <option value="">Default scorer</option>
        {agents.data?.myAgents.edges.map(({ node }) => (
          <option key={node.id} value={node.id}>
            {node.name}
          </option>
        ))}
      </SelectField>
      <FormStatus error={errorMessage(result.error)} />
      <button type="submit" className="primary" disabled={result.fetching}>
        {result.fetching ? "Starting…" : "Start analysis"}
      </button>
    </form>
  );
}
