// The Train form's config in the studio's store: a setting changed by hand makes it custom; epochs set by hand are
// trained whole, so a big-data recipe's stop part-way through one epoch (max steps) goes with that change.
import { describe, expect, it } from 'vitest';
import { useStudio } from '@/components/state/studio';
import { presetConfig } from '@/lib/run/config';

describe('studio config', () => {
  it("epochs set by hand drop the recipe's max steps; other settings keep it", () => {
    const big = presetConfig('balanced', 'ds', { kind: 'bundled' }, { trainRows: 120_000, labelCounts: [60_000, 60_000] });
    expect(big.maxSteps).toBe(1100);
    const s = useStudio.getState();
    s.replaceConfig(big);
    useStudio.getState().setConfig({ learningRate: 1e-4 });
    expect(useStudio.getState().config).toMatchObject({ maxSteps: 1100, preset: undefined, learningRate: 1e-4 });
    useStudio.getState().setConfig({ epochs: 2 });
    expect(useStudio.getState().config.maxSteps).toBeUndefined();
    expect(useStudio.getState().config.epochs).toBe(2);
  });
});
