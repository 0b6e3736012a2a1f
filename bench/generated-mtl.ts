// A generated .mtl program of a given length, for the front end's speed (bench/check.ts).

/** A 5,000-line program: many blocks, each a few layers, chained into one deep encoder. */
export function generated(lines = 5000): string {
  const out: string[] = [];
  let i = 0;
  while (out.length < lines - 20) {
    out.push(
      `// block ${i}`,
      `block b${i}(x: tensor, out: int = 16) -> tensor {`,
      `  y = x |> conv(out, k: 3, bias: false) as c1 |> bn as n1 |> relu`,
      `  y = y |> conv(out, k: 3, bias: false) as c2 |> bn as n2`,
      `  return relu(x + y)`,
      `}`,
      ``,
    );
    i++;
  }
  const body = Array.from({ length: i }, (_, j) => `  x = b${j}(x) as l${j}`);
  out.push(
    `block deep(x: tensor) -> tensor {`,
    `  x = x |> conv(16, k: 3) as stem`,
    ...body,
    `  return x`,
    `}`,
    ``,
    `model Big {`,
    `  input image: f32[N, 16, 16, 16]`,
    `  encoder e = deep(image)`,
    `  task t { head e |> gap |> flatten |> fixed linear(10) decode argmax }`,
    `}`,
  );
  return out.join("\n");
}
