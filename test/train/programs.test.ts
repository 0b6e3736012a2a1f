// Which losses each role's training program carries: the teacher learns from labels; a student
// learns from the teacher alone (US-Nets) unless `distill labels: w` keeps its label loss too, and
// from labels alone when output distillation is off. The distillation temperature reaches the
// students' programs only.
import { describe, expect, it } from "vitest";
import type { TrainSpec } from "../../compiler/train/spec";
import { trainingPrograms } from "../../runtime/train/programs";
import { prepareSource, SMALL_MULTIMNIST } from "../helpers/train-fixture";

const { graph } = prepareSource(SMALL_MULTIMNIST);
const smallest = Object.fromEntries(graph.groups.map((g) => [g.name, 0]));
const largest = Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1]));

function losses(spec: Partial<TrainSpec>, role: "teacher" | "student") {
  const program = trainingPrograms(graph, { ...graph.train, ...spec })(role === "teacher" ? largest : smallest, role);
  return {
    labels: program.inputs.filter((i) => i.startsWith("target.")).sort(),
    teacher: program.inputs.filter((i) => i.startsWith("teacher.")).sort(),
    outputs: program.outputs.filter((o) => o.startsWith("loss")).sort(),
  };
}

describe("training programs per role", () => {
  it("the teacher learns from labels only", () => {
    expect(losses({ distillOutputs: 1, distillLabels: 0 }, "teacher")).toEqual({
      labels: ["target.left", "target.right"],
      teacher: [],
      outputs: ["loss", "loss.left", "loss.right"],
    });
  });

  it("a student learns from the teacher alone by default", () => {
    const s = losses({ distillOutputs: 1, distillLabels: 0 }, "student");
    expect(s.labels).toEqual([]);
    expect(s.teacher).toEqual(["teacher.left", "teacher.right"]);
  });

  it("a student keeps its label loss with `distill labels: w`", () => {
    const s = losses({ distillOutputs: 1, distillLabels: 0.5 }, "student");
    expect(s.labels).toEqual(["target.left", "target.right"]);
    expect(s.outputs).toEqual(["loss", "loss.distill.left", "loss.distill.right", "loss.left", "loss.right"]);
  });

  it("`distill temperature: T` reaches the students' distillation and leaves the teacher alone", () => {
    const bytes = (spec: Partial<TrainSpec>, role: "teacher" | "student") =>
      Buffer.from(
        trainingPrograms(graph, { ...graph.train, distillOutputs: 1, ...spec })(
          role === "teacher" ? largest : smallest,
          role,
        ).bytes,
      );
    expect(bytes({ distillTemperature: 4 }, "teacher").equals(bytes({ distillTemperature: 1 }, "teacher"))).toBe(true);
    const hot = bytes({ distillTemperature: 4 }, "student");
    expect(hot.equals(bytes({ distillTemperature: 1 }, "student"))).toBe(false);
    expect(hot.equals(bytes({ distillTemperature: 4 }, "student"))).toBe(true); // deterministic
  });

  it("without output distillation a student learns from labels", () => {
    const s = losses({ distillOutputs: 0, distillLabels: 0 }, "student");
    expect(s.labels).toEqual(["target.left", "target.right"]);
    expect(s.teacher).toEqual([]);
  });
});
