# PLACEHOLDER for H3: replaced at merge
def work_order_materials_reserve(*, work_order_id: int, actor=None) -> None:
    return None
