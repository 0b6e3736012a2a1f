// Python shared by the PyTorch reference tests (run with Debian's /usr/bin/python3): reading a
// safetensors file into a torch state dict with numpy alone, so no extra Python package is needed.
export const PY_LOAD_SAFETENSORS = `
import json, struct
import numpy as np, torch

def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    dtypes = {"F32": np.float32, "I64": np.int64}
    state = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        a = np.frombuffer(raw[8 + n + b:8 + n + end], dtype=dtypes[e["dtype"]]).reshape(e["shape"])
        state[name] = torch.from_numpy(a.copy())
    return state
`;
