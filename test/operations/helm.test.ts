// The Helm chart (helm/lendgraph), checked offline by scripts/helm-check.sh for each values file in its ci/ folder:
// strict lint, rendering, and tools/manifest-check, which decodes every object as a cluster would and refuses
// unknown fields and kinds. Then what the renderings must say: the settings by src/config.ts's names, the probes,
// the hardened container, the drain, the migration hook, and the operators' Secrets.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const valuesFiles = readdirSync(path.join(root, 'helm/lendgraph/ci')).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length));

function findGo(): string | undefined {
  const onPath = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (onPath.status === 0) return 'go';
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}
const go = findGo();
if (!go && process.env['CI']) {
  throw new Error('Go is missing: the Helm chart check is required in CI (it builds Helm and tools/manifest-check)');
}

// First run on a fresh machine builds Helm from the Go module proxy (about 5 minutes on 2 cores), unless
// scripts/test-prerequisites.sh already did.
const SCRIPT_TIMEOUT_MS = 900_000;

function helmCheck(...args: string[]): SpawnSyncReturns<string> {
  const env = { ...process.env, PATH: go === 'go' ? process.env['PATH'] : `${path.dirname(go!)}:${process.env['PATH']}` };
  return spawnSync('bash', ['scripts/helm-check.sh', ...args], { cwd: root, encoding: 'utf8', timeout: SCRIPT_TIMEOUT_MS, env });
}

interface Rendered {
  kind: string;
  name: string;
  /** The Kubernetes object as manifest-check printed it. */
  object: any;
}

/** The setting names src/config.ts's schema reads (its keys, two spaces in). */
function configSettings(): Set<string> {
  const source = readFileSync(path.join(root, 'src/config.ts'), 'utf8');
  const schema = source.slice(source.indexOf('const schema = z.object({'), source.indexOf('export type RawConfig'));
  return new Set([...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!));
}

/** Development-only settings a production install has no use for (docs/deploying.md, "Settings"). */
const DEVELOPMENT_ONLY = new Set(['EMBEDDED_PG_PORT', 'DEV_ISSUER', 'DEV_ISSUER_ALLOW_REMOTE']);

describe.skipIf(!go)('the Helm chart, checked offline', () => {
  let out: string;
  let run: SpawnSyncReturns<string>;
  const renderings = new Map<string, Rendered[]>();
  const one = (values: string, kind: string, name = 'lendgraph'): Rendered => {
    const found = renderings.get(values)!.find((r) => r.kind === kind && r.name === name);
    if (!found) throw new Error(`${values}: no ${kind} ${name}`);
    return found;
  };

  beforeAll(() => {
    out = mkdtempSync(path.join(os.tmpdir(), 'helm-check-'));
    run = helmCheck('--out', out);
    for (const values of valuesFiles) {
      const file = path.join(out, `${values}.jsonl`);
      if (!existsSync(file)) continue;
      renderings.set(values, readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Rendered));
    }
  }, SCRIPT_TIMEOUT_MS);

  it('lints, renders and passes manifest-check for every values file in helm/lendgraph/ci, and refuses a misspelt field', () => {
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(valuesFiles).toEqual(['minimal-values', 'operators-values', 'production-values']);
    for (const values of valuesFiles) {
      expect(run.stdout).toMatch(new RegExp(`^passed ${values}: \\d+ objects accepted, 0 refused$`, 'm'));
    }
    expect(run.stdout).toContain('negative check: a rendering with spec.replicass is refused');
  });

  it('refuses a broken rendering that lint lets through: a misspelt field under a free-form value', () => {
    const broken = path.join(mkdtempSync(path.join(os.tmpdir(), 'helm-broken-')), 'values.yaml');
    writeFileSync(broken, 'affinity:\n  nodeAffinityy: {}\n');
    const refused = helmCheck('-f', broken);
    expect(refused.status, refused.stdout).toBe(1);
    for (const values of valuesFiles) {
      expect(refused.stdout).toContain(`FAILED ${values}: manifest-check refused the rendering`);
    }
    expect(refused.stdout).toContain('unknown field "spec.template.spec.affinity.nodeAffinityy"');
  }, SCRIPT_TIMEOUT_MS);

  it('writes only settings src/config.ts reads, and accounts for every one of them', () => {
    const settings = configSettings();
    const written = new Set<string>();
    for (const values of valuesFiles) {
      for (const configMap of renderings.get(values)!.filter((r) => r.kind === 'ConfigMap')) {
        for (const name of Object.keys(configMap.object.data)) written.add(name);
      }
      for (const container of one(values, 'Deployment').object.spec.template.spec.containers) {
        for (const env of container.env ?? []) written.add(env.name);
      }
    }
    for (const name of written) {
      expect(settings.has(name), `the chart writes ${name}, which src/config.ts does not read`).toBe(true);
    }
    const schema = JSON.parse(readFileSync(path.join(root, 'helm/lendgraph/values.schema.json'), 'utf8'));
    const settable = new Set(Object.keys(schema.properties.config.properties));
    for (const name of settable) {
      expect(settings.has(name), `values.schema.json lets config set ${name}, which src/config.ts does not read`).toBe(true);
    }
    for (const name of settings) {
      expect(
        written.has(name) || settable.has(name) || DEVELOPMENT_ONLY.has(name),
        `src/config.ts reads ${name}, which the chart neither writes nor lets values.config set: add it to config's properties in helm/lendgraph/values.schema.json`,
      ).toBe(true);
    }
  });

  it('runs the gateway non-root on a read-only file system, probed on /healthz and /readyz, with a grace period covering the drain', () => {
    for (const values of valuesFiles) {
      const pod = one(values, 'Deployment').object.spec.template.spec;
      const [gateway] = pod.containers;
      const settings = one(values, 'ConfigMap').object.data;
      expect(gateway.ports).toEqual(expect.arrayContaining([
        expect.objectContaining({ name: 'http', containerPort: Number(settings.PORT) }),
        expect.objectContaining({ name: 'metrics', containerPort: Number(settings.METRICS_PORT) }),
      ]));
      expect(settings).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: '4000', METRICS_PORT: '9464', MIGRATE_ON_START: 'false' });
      expect(gateway.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(gateway.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
      expect(gateway.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      const tmp = pod.volumes.find((v: { name: string }) => v.name === 'tmp');
      expect(tmp.emptyDir).toBeDefined();
      expect(gateway.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      const drainSeconds = Math.ceil(Number(settings.SHUTDOWN_TIMEOUT_MS) / 1000);
      const preStop = gateway.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + drainSeconds);
    }
    // The hardened file drains for 30 s after a 10 s pause: 10 + 30 + the 5 s margin.
    expect(one('production-values', 'Deployment').object.spec.template.spec.terminationGracePeriodSeconds).toBe(45);
    expect(one('minimal-values', 'Deployment').object.spec.template.spec.terminationGracePeriodSeconds).toBe(20);
  });

  it('migrates in a Helm hook before the release, reading hook copies of the settings, after the first install when the chart makes the database', () => {
    for (const values of valuesFiles) {
      const job = one(values, 'Job', 'lendgraph-migrate').object;
      const hook = job.metadata.annotations['helm.sh/hook'];
      expect(hook).toBe(values === 'operators-values' ? 'post-install,pre-upgrade' : 'pre-install,pre-upgrade');
      expect(job.metadata.annotations['helm.sh/hook-delete-policy']).toBe('before-hook-creation');
      const [migrate] = job.spec.template.spec.containers;
      expect(migrate.command).toEqual(['node', 'dist/cli/migrate.js']);
      expect(migrate.image).toBe(one(values, 'Deployment').object.spec.template.spec.containers[0].image);
      // What the job reads exists before it: hooks of the same events at a lower weight, or a Secret made beforehand.
      const configMap = one(values, 'ConfigMap', 'lendgraph-migrate').object;
      expect(configMap.metadata.annotations['helm.sh/hook']).toBe(hook);
      expect(Number(configMap.metadata.annotations['helm.sh/hook-weight'])).toBeLessThan(Number(job.metadata.annotations['helm.sh/hook-weight']));
      expect(configMap.data.KEYCLOAK_URL).toBeUndefined();
      expect(configMap.data.AUTH_ISSUER).toMatch(/^https:\/\/.+\/realms\/lendgraph$/);
    }
    expect(one('minimal-values', 'Deployment').object.spec.template.spec.containers[0].image).toBe('lendgraph:0.1.0');
  });

  it('reads DATABASE_URL from the CloudNativePG app Secret and Keycloak from the operator when the chart renders them', () => {
    const cluster = one('operators-values', 'Cluster', 'lendgraph-pg').object;
    const env = one('operators-values', 'Deployment').object.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: `${cluster.metadata.name}-app`, key: 'uri' } } });
    const keycloak = one('operators-values', 'Keycloak', 'lendgraph-keycloak').object;
    expect(keycloak.apiVersion).toBe('k8s.keycloak.org/v2beta1');
    expect(env).toContainEqual({ name: 'KEYCLOAK_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: 'lendgraph-keycloak-initial-admin', key: 'password' } } });
    expect(one('operators-values', 'ConfigMap').object.data).toMatchObject({
      KEYCLOAK_URL: 'http://lendgraph-keycloak-service.lendgraph.svc:8080',
      AUTH_ISSUER: `${keycloak.spec.hostname.hostname}/realms/lendgraph`,
    });
    // The hardened file names a Secret made outside Helm: nothing secret is rendered.
    expect(renderings.get('production-values')!.filter((r) => r.kind === 'Secret')).toEqual([]);
  });

  it('keeps WebSockets open through ingress-nginx and lets the monitoring and ingress namespaces in, to their ports only', () => {
    const ingress = one('production-values', 'Ingress').object;
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
    expect(ingress.spec.rules[0].http.paths).toEqual([expect.objectContaining({ path: '/', pathType: 'Prefix' })]);
    const policy = one('production-values', 'NetworkPolicy').object.spec;
    expect(policy.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.ingress.map((rule: { ports: { port: string }[]; from: { namespaceSelector: { matchLabels: Record<string, string> } }[] }) => [
      rule.from[0]!.namespaceSelector.matchLabels['kubernetes.io/metadata.name'], rule.ports.map((p) => p.port),
    ])).toEqual([['ingress-nginx', ['http']], ['monitoring', ['metrics']]]);
    const monitor = one('operators-values', 'ServiceMonitor').object;
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
  });
});
