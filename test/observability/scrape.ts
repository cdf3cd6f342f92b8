// Reading what Prometheus would: GET /metrics and its text format, one sample per line.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  status: number;
  contentType: string | null;
  samples: Sample[];
  /** The `# TYPE` of each metric family. */
  types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Pick<Scrape, 'samples' | 'types'> {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const match = SAMPLE.exec(line);
    if (!match || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  return { status: response.status, contentType: response.headers.get('content-type'), ...parseExposition(await response.text()) };
}

/** The samples of `name` whose labels include every one given. */
export function samplesOf(scraped: Pick<Scrape, 'samples'>, name: string, labels: Record<string, string> = {}): Sample[] {
  return scraped.samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

/** The sum of the samples `samplesOf` finds: 0 when there are none (a counter not yet bumped has no labelled series). */
export function valueOf(scraped: Pick<Scrape, 'samples'>, name: string, labels: Record<string, string> = {}): number {
  return samplesOf(scraped, name, labels).reduce((sum, sample) => sum + sample.value, 0);
}
