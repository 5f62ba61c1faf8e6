import type { Schemas } from "@/api/client";

export interface DeadlineRow {
  key: string;
  date: string;
  kind: "expiry" | "report" | "window";
  programme: string;
  title: string;
  /** For application windows: the first day. */
  opens?: string | null;
  done?: boolean;
}

const DAY = 24 * 60 * 60 * 1000;

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);
}

/**
 * A firm's dates to watch, soonest first, from `today` back 30 days to 400 days ahead (as the iCal feed):
 * its titles' expiries, the reports due for programmes it holds (marked done when completed), and the
 * application windows of programmes it does not hold.
 */
export function firmDeadlines(
  today: string,
  titles: readonly Schemas["FirmTitle"][],
  deadlines: readonly Schemas["ProgrammeDeadline"][],
  completions: readonly Schemas["DeadlineCompletion"][],
  describe: { expiry: (title: Schemas["FirmTitle"]) => string; deadline: (d: Schemas["ProgrammeDeadline"]) => string },
): DeadlineRow[] {
  const inRange = (date: string | null | undefined): date is string => {
    if (!date) return false;
    const days = daysBetween(today, date);
    return days >= -30 && days <= 400;
  };
  const held = new Set(titles.map((title) => title.programme));
  const done = new Set(completions.map((c) => `${c.deadline}:${c.year}`));
  const rows: DeadlineRow[] = [];
  for (const title of titles) {
    if (inRange(title.valid_until)) {
      rows.push({ key: `title-${title.id}`, date: title.valid_until!, kind: "expiry", programme: title.programme, title: describe.expiry(title) });
    }
  }
  const seen = new Set<string>();
  for (const deadline of deadlines) {
    if (!inRange(deadline.due_on)) continue;
    const key = `deadline-${deadline.id}-${deadline.due_on}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (deadline.kind === "application_window") {
      if (held.has(deadline.programme)) continue;
      rows.push({ key, date: deadline.due_on!, kind: "window", programme: deadline.programme, title: describe.deadline(deadline), opens: deadline.opens_on });
    } else if (held.has(deadline.programme)) {
      const year = Number(deadline.due_on!.slice(0, 4));
      rows.push({
        key,
        date: deadline.due_on!,
        kind: "report",
        programme: deadline.programme,
        title: describe.deadline(deadline),
        done: done.has(`${deadline.id}:${year}`),
      });
    }
  }
  return rows.sort((a, b) => a.date.localeCompare(b.date) || a.key.localeCompare(b.key));
}
