// The fixed part of the generated model.py: width arithmetic (a copy of compiler/ir/width.ts),
// parameter cutting, switchable BatchNorm and the shared helpers the generated methods call.
// Kept as Python text so the generated package needs nothing but torch and numpy.

export const MODEL_RUNTIME = `def channels_at(max_channels, w, divisor):
    """Channels kept by a layer of max_channels at width w (compiler/ir/width.ts channelsAt)."""
    if w >= 1:
        return max_channels
    exact = max_channels * w
    rounded = max(divisor, math.floor(exact / divisor + 0.5) * divisor)
    if rounded < 0.9 * exact:
        rounded += divisor
    return min(rounded, max_channels)


def expand_like(x, like, axis):
    """Broadcasts x's size-1 axes to like's sizes, keeping its own size on axis (for concat)."""
    sizes = [like.shape[j] if j != axis and x.shape[j] == 1 else x.shape[j] for j in range(x.dim())]
    return x.expand(*sizes)


def self_attention(x, w_in, b_in, w_out, b_out, head_dim, causal=False):
    """Multi-head self-attention, batch first; a slim layer keeps head_dim and drops heads.
    causal: position t attends to positions <= t only."""
    n, t = x.shape[0], x.shape[1]
    qkv = F.linear(x, w_in, b_in).reshape(n, t, 3, -1, head_dim).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(head_dim))
    if causal:
        future = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
    mixed = torch.matmul(torch.softmax(scores, -1), v)
    return F.linear(mixed.transpose(1, 2).reshape(n, t, -1), w_out, b_out)


def cross_attention(x, memory, w_in, b_in, w_out, b_out, head_dim):
    """Queries from x [N, T, D], keys and values from memory [N, S, D]; in_proj stacks q, k, v."""
    n, t, s = x.shape[0], x.shape[1], memory.shape[1]
    w_q, w_k, w_v = w_in.chunk(3, 0)
    b_q, b_k, b_v = b_in.chunk(3, 0) if b_in is not None else (None, None, None)
    q = F.linear(x, w_q, b_q).reshape(n, t, -1, head_dim).transpose(1, 2)
    k = F.linear(memory, w_k, b_k).reshape(n, s, -1, head_dim).transpose(1, 2)
    v = F.linear(memory, w_v, b_v).reshape(n, s, -1, head_dim).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(head_dim))
    mixed = torch.matmul(torch.softmax(scores, -1), v)
    return F.linear(mixed.transpose(1, 2).reshape(n, t, -1), w_out, b_out)


class SlimmableModel(nn.Module):
    """Full-size parameters, cut to a width configuration on every call (US-Nets / OFA style).

    A configuration maps each width group to the index of its width in GROUPS[group], as mtl's
    width.<group> inputs do; groups left out run at full width. Parameter and buffer names are
    mtl's; switchable BatchNorm keeps one row per combination of the widths of the groups upstream
    of it ([K, C], first group most significant), as mtl stores it.
    """

    GROUPS: Dict[str, List[float]] = {}
    TASKS: List[str] = []
    # name -> (full shape, per-axis segments or None, per-width group or None, is a statistic, init)
    PARAMS: Dict[str, tuple] = {}
    # encoder features for configuration-invariant distillation: value -> (channel axis, segments)
    FEATURES: Dict[str, tuple] = {}

    def __init__(self, seed=0):
        super().__init__()
        self.momentum = 0.1  # running statistics: new = (1 - momentum) old + momentum batch
        self.calibrating = False
        self._calibration_seen = {}
        for name, (shape, _axes, per_width, statistic, _init) in self.PARAMS.items():
            rows = [self.rows_of(per_width)] if per_width is not None else []
            owner, leaf = self._owner(name)
            full = torch.zeros(rows + list(shape))
            # Straight into the module's tables: mtl names may equal nn.Module attributes ("half", "train").
            if statistic:
                owner._buffers[leaf] = full
            else:
                owner._parameters[leaf] = nn.Parameter(full)
        self.reset_parameters(seed)

    def _owner(self, name):
        module = self
        *path, leaf = name.split(".")
        for part in path:
            if part not in module._modules:
                module._modules[part] = nn.Module()
            module = module._modules[part]
        return module, leaf

    def tensor(self, name):
        """The full-size parameter or statistic with this mtl name."""
        owner, leaf = self._owner(name)
        found = owner._parameters.get(leaf)
        return found if found is not None else owner._buffers[leaf]

    @torch.no_grad()
    def reset_parameters(self, seed=0):
        """mtl's initialisers (same distributions, not the same random numbers as mtl's seeded init)."""
        g = torch.Generator().manual_seed(seed)
        for name, (_shape, _axes, _per_width, _statistic, init) in self.PARAMS.items():
            t = self.tensor(name)
            kind = init[0]
            if kind == "he":
                row = torch.randn(t.shape[-len(_shape):] if _shape else (), generator=g) * math.sqrt(2.0 / init[1])
            elif kind == "xavier":
                bound = math.sqrt(6.0 / (init[1] + init[2]))
                row = (torch.rand(t.shape[-len(_shape):] if _shape else (), generator=g) * 2 - 1) * bound
            elif kind == "normal":
                row = torch.randn(t.shape[-len(_shape):] if _shape else (), generator=g) * init[1]
            else:
                row = torch.full(t.shape[-len(_shape):] if _shape else (), float(init[1]))
            t.copy_(row.expand_as(t))  # every width's row starts from the same values

    def resolve(self, config=None):
        """A full configuration (group -> width index) from a partial one; checks names and ranges."""
        cfg = {g: len(choices) - 1 for g, choices in self.GROUPS.items()}
        for group, index in (config or {}).items():
            if group not in self.GROUPS:
                raise ValueError(f"unknown width group {group!r}; the groups are {', '.join(self.GROUPS)}")
            if not 0 <= int(index) < len(self.GROUPS[group]):
                raise ValueError(f"width index {index} of group {group!r} is outside 0..{len(self.GROUPS[group]) - 1}")
            cfg[group] = int(index)
        return cfg

    def segment_length(self, segment, cfg):
        max_channels, group, scale, divisor = segment
        if group is None:
            return max_channels * scale
        return channels_at(max_channels, self.GROUPS[group][cfg[group]], divisor) * scale

    def layout_length(self, segments, cfg):
        return sum(self.segment_length(s, cfg) for s in segments)

    def kept_index(self, segments, cfg, device=None):
        """Positions (in the full-width layout) of the channels a configuration keeps."""
        index, offset = [], 0
        for s in segments:
            index.extend(range(offset, offset + self.segment_length(s, cfg)))
            offset += s[0] * s[2]
        return torch.tensor(index, dtype=torch.long, device=device)

    def rows_of(self, per_width):
        """Rows of a switchable tensor: one per combination of the widths of its groups."""
        return math.prod(len(self.GROUPS[g]) for g in per_width)

    def row_of(self, per_width, cfg):
        """The row a configuration reads: its groups' width indices as one mixed-radix number."""
        row = 0
        for g in per_width:
            row = row * len(self.GROUPS[g]) + cfg[g]
        return row

    def cut(self, name, cfg):
        """A parameter at a configuration: its width's row if switchable, then the first k of each slim axis."""
        t = self.tensor(name)
        _shape, axes, per_width, _statistic, _init = self.PARAMS[name]
        if per_width is not None:
            t = t[self.row_of(per_width, cfg)]
        for axis, segments in enumerate(axes):
            if segments is None or all(s[1] is None for s in segments):
                continue
            if len(segments) == 1:
                t = t.narrow(axis, 0, self.segment_length(segments[0], cfg))
                continue
            pieces, offset = [], 0
            for s in segments:
                pieces.append(t.narrow(axis, offset, self.segment_length(s, cfg)))
                offset += s[0] * s[2]
            t = torch.cat(pieces, axis)
        return t

    def batch_norm(self, x, names, cfg, eps):
        """Switchable BatchNorm: this width's row of weight, bias and statistics, cut to x's channels.

        names: the module prefix of weight, bias, running_mean, running_var, or the four names.

        In training (and calibration) the batch statistics normalise and the running statistics of
        this row are updated in place; calibration uses a cumulative average over samples.
        """
        if isinstance(names, str):
            names = [f"{names}.{role}" for role in ("weight", "bias", "running_mean", "running_var")]
        weight, bias = self.cut(names[0], cfg), self.cut(names[1], cfg)
        if not (self.training or self.calibrating):
            return F.batch_norm(x, self.cut(names[2], cfg), self.cut(names[3], cfg), weight, bias, False, 0.0, eps)
        _shape, axes, per_width, _statistic, _init = self.PARAMS[names[2]]
        row = self.row_of(per_width, cfg) if per_width is not None else None
        mean_all, var_all = self.tensor(names[2]), self.tensor(names[3])
        mean_row = mean_all[row] if row is not None else mean_all
        var_row = var_all[row] if row is not None else var_all
        index = self.kept_index(axes[0], cfg, x.device)
        running_mean, running_var = mean_row.index_select(0, index), var_row.index_select(0, index)
        momentum = self.momentum
        if self.calibrating:  # cumulative average over samples: a short batch weighs its share
            seen = self._calibration_seen.get((names[2], row), 0)
            self._calibration_seen[(names[2], row)] = seen + x.shape[0]
            momentum = x.shape[0] / (seen + x.shape[0])
        y = F.batch_norm(x, running_mean, running_var, weight, bias, True, momentum, eps)
        with torch.no_grad():
            mean_row.index_copy_(0, index, running_mean)
            var_row.index_copy_(0, index, running_var)
        return y

    def norm_parameter_names(self):
        """Parameters of normalisation layers (no weight decay on them)."""
        return set(self.NORM_PARAMS)

    def forward(self, inputs, config=None, tasks=None, features=False):
        """Raw task outputs (before decoding) at a configuration; tasks=None runs every task.

        inputs: dict input name -> tensor. With features=True also returns the encoder features
        (the shared values the heads read), for configuration-invariant distillation.
        """
        cfg = self.resolve(config)
        run = list(self.TASKS) if tasks is None else list(tasks)
        for t in run:
            if t not in self.TASKS:
                raise ValueError(f"unknown task {t!r}; the tasks are {', '.join(self.TASKS)}")
        shared = self.shared(inputs, cfg)
        outputs = {t: getattr(self, "head_" + self.TASK_METHODS[t])(shared, cfg) for t in run}
        if features:
            return outputs, {name: shared[name] for name in self.FEATURES}
        return outputs

    def load_weights(self, path):
        """Loads an mtl-named safetensors file: [C] or per-width [K, C] for switchable tensors."""
        state = read_safetensors(path)
        missing = [n for n in self.PARAMS if n not in state]
        unexpected = [n for n in state if n not in self.PARAMS and not n.endswith(".num_batches_tracked")]
        if missing or unexpected:
            raise ValueError(f"{path}: missing {missing[:5]}, unexpected {unexpected[:5]}")
        with torch.no_grad():
            for name in self.PARAMS:
                t, got = self.tensor(name), state[name]
                if tuple(got.shape) == tuple(t.shape[1:]) and self.PARAMS[name][2] is not None:
                    got = got.unsqueeze(0).expand_as(t)
                if tuple(got.shape) != tuple(t.shape):
                    raise ValueError(f"{path}: {name} has shape {list(got.shape)}, expected {list(t.shape)}")
                t.copy_(got)

    def save_weights(self, path, metadata=None):
        """Writes every parameter and statistic under mtl's names (switchable ones as [K, C])."""
        write_safetensors(path, {n: self.tensor(n).detach() for n in self.PARAMS}, metadata)
`;

/** safetensors with numpy alone (the format: 8-byte header length, JSON header, raw little-endian data). */
export const SAFETENSORS_IO = `_DTYPES = {
    "F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32, "U8": np.uint8,
}


def read_safetensors(path):
    """name -> tensor, from a .safetensors file (no safetensors package needed)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    state = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: {name} has dtype {entry['dtype']}, which this reader does not take")
        begin, end = entry["data_offsets"]
        data = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=np.dtype(_DTYPES[entry["dtype"]]).newbyteorder("<"))
        state[name] = torch.from_numpy(data.reshape(entry["shape"]).copy())
    return state


def write_safetensors(path, tensors, metadata=None):
    """Writes name -> tensor as float32 safetensors, atomically (a temporary file, then a rename)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = tensors[name].detach().to("cpu", torch.float32).contiguous().numpy().astype("<f4")
        blob = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)
`;
