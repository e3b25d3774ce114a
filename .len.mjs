const arrs = Array.from({ length: 4096 }, () => new Float32Array(1024));
const proto = Object.getPrototypeOf(Float32Array.prototype);
const lengthOf = Object.getOwnPropertyDescriptor(proto, 'length').get;
const lens = arrs.map(a => a.length);
const bound = Function.prototype.call.bind(lengthOf);
function plain() { let ok = true; for (let i = 0; i < arrs.length; i++) if (arrs[i].length !== lens[i]) ok = false; return ok; }
function intrinsic() { let ok = true; for (let i = 0; i < arrs.length; i++) if (lengthOf.call(arrs[i]) !== lens[i]) ok = false; return ok; }
function viaBound() { let ok = true; for (let i = 0; i < arrs.length; i++) if (bound(arrs[i]) !== lens[i]) ok = false; return ok; }
function reflect() { let ok = true; for (let i = 0; i < arrs.length; i++) if (Reflect.apply(lengthOf, arrs[i], []) !== lens[i]) ok = false; return ok; }
for (const f of [plain, intrinsic, viaBound, reflect]) {
  for (let i = 0; i < 2000; i++) f();
  const t = process.hrtime.bigint(); for (let i = 0; i < 2000; i++) f();
  console.log(f.name, (Number(process.hrtime.bigint() - t) / 2000 / 1000).toFixed(2), 'µs per 4096');
}
