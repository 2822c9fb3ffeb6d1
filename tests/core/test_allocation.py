from __future__ import annotations

from core.allocation import Need, WarehouseRef, plan_allocation

MAIN, SUB, BRANCH = WarehouseRef(3, "main"), WarehouseRef(1, "sub"), WarehouseRef(2, "branch")


def test_one_warehouse_serves_all_main_first() -> None:
    needs = [Need(0, 10, 2), Need(1, 11, 1)]
    avail = {(10, 1): 5, (11, 1): 5, (10, 3): 2, (11, 3): 1}
    plan = plan_allocation(needs, [SUB, BRANCH, MAIN], avail)
    assert plan.assigned == {0: 3, 1: 3}
    assert plan.unserved == ()


def test_split_by_line_only_when_no_single_warehouse_can() -> None:
    needs = [Need(0, 10, 2), Need(1, 11, 1)]
    avail = {(10, 3): 2, (11, 2): 1}
    plan = plan_allocation(needs, [MAIN, BRANCH], avail)
    assert plan.assigned == {0: 3, 1: 2}


def test_lines_are_never_split_across_warehouses() -> None:
    needs = [Need(0, 10, 3)]
    avail = {(10, 3): 2, (10, 2): 2}
    plan = plan_allocation(needs, [MAIN, BRANCH], avail)
    assert plan.assigned == {}
    assert plan.unserved == (Need(0, 10, 3),)


def test_same_variant_on_two_lines_counts_both() -> None:
    needs = [Need(0, 10, 2), Need(1, 10, 2)]
    plan = plan_allocation(needs, [MAIN, BRANCH], {(10, 3): 3, (10, 2): 2})
    # Main cannot serve 4 in all; per line, line 0 takes main's, line 1 needs the branch.
    assert plan.assigned == {0: 3, 1: 2}
