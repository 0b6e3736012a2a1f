// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_(max_norm, norm_type=2):
// the norm of all gradients together; when above max_norm every gradient is scaled by
// max_norm / (norm + 1e-6).

/** Scales the gradients in place when needed; returns the norm before clipping. */
export function clipGlobalNorm(grads: readonly Float32Array[], maxNorm: number): number {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const norm = Math.fround(Math.sqrt(sq));
  const coef = Math.fround(maxNorm / (norm + 1e-6));
  if (coef < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i] * coef;
  return norm;
}
