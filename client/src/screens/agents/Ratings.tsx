import { type FormEvent, useState } from "react";
import { useMutation, useQuery } from "urql";
import { TextArea } from "../../components/Field.tsx";
import { Empty, ErrorNotice, FormStatus, QueryState } from "../../components/status.tsx";
import { formErrorMessage } from "../../lib/errors.ts";
import { useFormat } from "../../lib/preferences.tsx";
import { HelpfulMutation, RateMutation, RatingsQuery, stars } from "./queries.ts";

export function AgentRatings({
  agentId,
  agentName,
  initialSummary,
}: {
  agentId: string;
  agentName: string;
  initialSummary?: { average?: number | null; count: number } | null;
}) {
  const [open, setOpen] = useState(false);
  // The catalogue brings every agent's summary in one request; reviews load when opened.
  const [result, refetch] = useQuery({
    query: RatingsQuery,
    variables: { itemId: agentId },
    pause: !open,
  });
  const summary = result.data?.ratingSummary ?? initialSummary;
  return (
    <div className="ratings">
      <p>
        <span aria-hidden="true">{stars(summary?.average)}</span>{" "}
        <span>
          {summary?.count
            ? `${summary.average?.toFixed(1)} out of 5 from ${summary.count} rating${summary.count === 1 ? "" : "s"}`
            : "No ratings yet"}
        </span>{" "}
        <button type="button" className="link" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? "Hide reviews" : "Rate & reviews"}
        </button>
      </p>
      {open && (
        <QueryState result={result} retry={refetch}>
          {(data) => (
            <>
              {data.ratingSummary.count > 0 && (
                <ol className="distribution" aria-label="Ratings by stars">
                  {[5, 4, 3, 2, 1].map((n) => (
                    <li key={n}>
                      {n}★{" "}
                      <meter
                        min={0}
                        max={data.ratingSummary.count}
                        value={data.ratingSummary.distribution[n - 1] ?? 0}
                      />{" "}
                      {data.ratingSummary.distribution[n - 1] ?? 0}
                    </li>
                  ))}
                </ol>
              )}
              <RateForm
                agentId={agentId}
                agentName={agentName}
                mine={data.ratings.edges.find((e) => e.node.mine)?.node}
              />
              <Reviews ratings={data.ratings.edges.map((e) => e.node)} />
            </>
          )}
        </QueryState>
      )}
    </div>
  );
}

function RateForm({
  agentId,
  agentName,
  mine,
}: {
  agentId: string;
  agentName: string;
  mine?: { rating: number; review?: string | null } | undefined;
}) {
  const [rating, setRating] = useState(mine?.rating ?? 0);
  const [review, setReview] = useState(mine?.review ?? "");
  const [result, rate] = useMutation(RateMutation);
  const [saved, setSaved] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await rate({ itemId: agentId, rating, review: review.trim() || null });
    setSaved(!!r.data);
  };
  return (
    <form onSubmit={submit} className="subform" aria-label={`Rate ${agentName}`}>
      <fieldset className="stars">
        <legend>{mine ? "Your rating" : "Rate this agent"}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n}>
            <input
              type="radio"
              name={`rating-${agentId}`}
              value={n}
              checked={rating === n}
              onChange={() => setRating(n)}
            />
            {n}★
          </label>
        ))}
      </fieldset>
      <TextArea label="Review (optional)" rows={2} value={review} onChange={(e) => setReview(e.target.value)} />
      <FormStatus error={formErrorMessage(result.error)} success={saved ? "Thanks, your rating is saved." : null} />
      <button type="submit" disabled={rating === 0 || result.fetching}>
        {mine ? "Update rating" : "Submit rating"}
      </button>
    </form>
  );
}

function Reviews({
  ratings,
}: {
  ratings: {
    id: string;
    rating: number;
    review?: string | null;
    helpfulCount: number;
    mine: boolean;
    createdAt: string;
    author?: { displayName: string } | null;
  }[];
}) {
  const f = useFormat();
  const [result, markHelpful] = useMutation(HelpfulMutation);
  const withReview = ratings.filter((r) => r.review);
  if (!withReview.length) return <Empty>No reviews yet.</Empty>;
  return (
    <>
      {result.error && <ErrorNotice error={result.error} />}
      <ul className="reviews">
        {withReview.map((r) => (
          <li key={r.id}>
            <p>
              <span aria-hidden="true">{stars(r.rating)}</span>
              <span className="visually-hidden">{r.rating} out of 5</span>{" "}
              <strong>{r.author?.displayName ?? "A former member"}</strong>{" "}
              <span className="muted small">{f.date(r.createdAt)}</span>
            </p>
            <p>{r.review}</p>
            <p className="muted small">
              {r.helpfulCount} found this helpful{" "}
              {!r.mine && (
                <button type="button" className="link" onClick={() => markHelpful({ id: r.id })}>
                  Helpful
                </button>
              )}
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}
