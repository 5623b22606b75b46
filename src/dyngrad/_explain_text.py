"""The sentences of ``dyngrad.explain`` in English and Chinese (the notes' vocabulary:
反向传播, 梯度, 计算图, 叶子节点, 累计, 常数)."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "start": "Backward pass from {root} = {value}",
        "seed": "It starts with the gradient {grad} for {root} (ones for a scalar: d{root}/d{root} = 1).",
        "seed_given": "It starts with the gradient given for {root}: {grad}.",
        "notation": (
            "Notation: v̄ is the gradient of {root} with respect to v. Each step is one node of "
            "the graph; its local rule (the chain rule) turns the gradient arriving at its "
            "output into a gradient for each of its inputs."
        ),
        "step": "Step {k}: {node}",
        "made": "the node that made {name}",
        "rule": "rule",
        "no_rule": "(no rule documented)",
        "arrives": "arrives",
        "arrives_out": "arrives at output {nr}",
        "sum_of": "the sum of the {n} gradients sent here",
        "from": "from step {step}, input {i}:",
        "colon": ": ",
        "paren": " ({})",
        "old": "  old",
        "new": "new",
        "input": "input {i} → {target}",
        "constant": "input {i}: a constant (or a tensor that does not require grad): no gradient",
        "none": "input {i} → {target}: no gradient",
        "broadcast": (
            "broadcasting: the gradient has shape {gshape} but the input has shape {shape}, so it "
            "is summed over dim {dims}"
        ),
        "cast": "cast to the input's dtype {dtype}",
        "leaf_step": "Step {k}: AccumulateGrad of the leaf {leaf}",
        "leaf_new": "{name}.grad was None, so now {name}.grad =",
        "leaf_acc": (
            "{name}.grad already held a gradient. Gradients accumulate (call "
            "{name}.grad.zero_() first if that is not wanted), so the new one is added to it:"
        ),
        "leaf_nothing": "no gradient arrived: {name}.grad is unchanged",
        "done": "Done. The leaves' gradients:",
        "leaf": "leaf",
        "output": "output",
    },
    "zh": {
        "start": "从 {root} = {value} 开始反向传播",
        "seed": "初始梯度是 {grad}（{root} 是标量时默认为 1，即 d{root}/d{root} = 1）。",
        "seed_given": "初始梯度是传入的 {grad}。",
        "notation": (
            "记号：v̄ 表示 {root} 对 v 的梯度。每一步是计算图中的一个节点，它按自己的局部规则"
            "（链式法则）把传到输出的梯度变成每个输入的梯度。"
        ),
        "step": "第 {k} 步：{node}",
        "made": "计算出 {name} 的节点",
        "rule": "规则",
        "no_rule": "（没有记录规则）",
        "arrives": "传入梯度",
        "arrives_out": "输出 {nr} 的传入梯度",
        "sum_of": "传到这里的 {n} 个梯度相加",
        "from": "来自第 {step} 步的输入 {i}：",
        "colon": "：",
        "paren": "（{}）",
        "old": "  旧值",
        "new": "新值",
        "input": "输入 {i} → {target}",
        "constant": "输入 {i}：常数（或不需要梯度的张量），没有梯度",
        "none": "输入 {i} → {target}：没有梯度",
        "broadcast": "广播：梯度形状是 {gshape}，输入形状是 {shape}，所以在第 {dims} 维上求和",
        "cast": "转换成输入的类型 {dtype}",
        "leaf_step": "第 {k} 步：叶子节点 {leaf} 的 AccumulateGrad",
        "leaf_new": "{name}.grad 原来是 None，现在 {name}.grad =",
        "leaf_acc": (
            "{name}.grad 原来已经有梯度。梯度默认会累计（不需要累计时先用 {name}.grad.zero_() "
            "手动清零），所以新梯度加到旧值上："
        ),
        "leaf_nothing": "没有梯度传到这里：{name}.grad 不变",
        "done": "完成。叶子节点的梯度：",
        "leaf": "叶子节点",
        "output": "输出",
    },
}
