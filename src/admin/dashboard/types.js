// Shapes of the admin API's answers, as the dashboard reads them (src/api/types.ts).

/**
 * @typedef {{ result: 'pass' | 'fail' | 'inconclusive', sentence: string }} Verdict
 * @typedef {{ weightBp: number, holdMs: number, bake: boolean }} PlanStep
 * @typedef {{ usersOnNew: number, activeUsers: number, share: number, exact: boolean }} Exposure
 * @typedef {{
 *   id: string, component: string, status: string, step: number, weightBp: number,
 *   fromVersion: number, toVersion: number, plan: PlanStep[], reason?: string,
 * }} DeploymentState
 * @typedef {{
 *   id: string, releaseId: string, state: DeploymentState, plan: string, holdRemainingMs: number,
 *   gate?: Verdict, gateParts?: { alarms: Verdict, judge?: Verdict }, exposure?: Exposure, waiting?: string,
 *   gates: { judge?: object }, holding: boolean,
 *   actions: { pause: boolean, resume: boolean, promote: boolean, rollback: boolean },
 * }} Deployment
 * @typedef {{ version: number, additional?: { version: number, weightBp: number }, mode: string }} Alias
 * @typedef {{
 *   pageViews: number, users: number, errorUsers: number,
 *   errors: { error: number, rejection: number, resource: number, app: number },
 *   pages: { path: string, views: number, errors: number }[],
 * }} BrowserSignals
 * @typedef {{
 *   name: string, route: string, alias?: Alias, deployment?: Deployment,
 *   shadow?: { version: number, share: number },
 *   metrics?: { version: number, browser?: BrowserSignals }[],
 * }} Component
 * @typedef {{ at: number, type: string, sentence: string, status: string, weightBp: number }} HistoryEvent
 * @typedef {{ state: DeploymentState, exposure?: Exposure, events: HistoryEvent[] }} HistoryDeployment
 * @typedef {{ id: string, createdAt: number, by: string, deployments: HistoryDeployment[] }} Release
 * @typedef {{ component: string, version: number, rps: number, errorRate: number, p99Ms: number, requests: number }} VersionRate
 * @typedef {{ at: number, versions: VersionRate[] }} Sample
 */

export {};
