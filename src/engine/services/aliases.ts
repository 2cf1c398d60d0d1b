import { conflict, defaultSeed, invalid, weightToBasisPoints, type Alias } from '../../core/index.js';
import type { AliasBody } from '../../api/index.js';
import type { DeploymentStore } from '../../store/deployment-store.js';
import type { StateStore } from '../../store/state-store.js';

export interface AliasesDeps {
  readonly store: StateStore;
  readonly deployments: DeploymentStore;
  /** Called after the alias of `component` changed, so traffic follows at once. */
  readonly onChange: (component: string) => void;
}

/** Reading and moving a component's live alias by hand (Lambda's update-alias). */
export class AliasesService {
  constructor(private readonly deps: AliasesDeps) {}

  get(component: string): Alias | undefined {
    this.deps.store.listVersions(component); // validates the component name
    return this.deps.store.getAlias(component);
  }

  set(component: string, request: AliasBody): Alias {
    const busy = this.deps.deployments.activeFor(component);
    if (busy) {
      throw conflict(
        `${component} is being deployed (${busy.id}, ${busy.state.status}); pause, promote or roll it back instead of moving the alias by hand`,
      );
    }
    const current = this.deps.store.getAlias(component);
    const entries = Object.entries(request.weights ?? {});
    if (entries.length > 1) throw invalid('an alias routes to at most one additional version');
    const additional = entries.length
      ? { version: Number(entries[0]![0]), weightBp: weightToBasisPoints(entries[0]![1]) }
      : undefined;
    // Keeping the seed while the additional version is unchanged is what makes raising
    // its weight only add users.
    const seed =
      request.seed ??
      (additional && current?.additional?.version === additional.version
        ? current.seed
        : defaultSeed(component, additional?.version ?? request.version));
    const alias = this.deps.store.setAlias(component, {
      version: request.version,
      additional,
      mode: request.routing ?? current?.mode ?? 'sticky',
      seed,
    });
    this.deps.onChange(component);
    return alias;
  }
}
