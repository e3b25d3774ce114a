// torch.optim._functional-shaped entry points: stateless, multi-tensor, one backend call each.
export { adam, adamw, type AdamOptions } from './adam';
