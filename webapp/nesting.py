"""How deeply a parsed JSON value nests, measured without recursion (any depth is measured safely)."""


def nesting_depth(value, stop_beyond: int) -> int:
    """Levels of objects and lists in `value`; the count stops once it exceeds `stop_beyond`."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > stop_beyond:
                break
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
