"""The operation diagram marks the path actually taken, jumps included."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.admin import factories

SVG = "{http://www.w3.org/2000/svg}"


def diagram(client, op_id: int) -> ET.Element:
    page = client.get(f"/admin/operations/{op_id}").get_data(as_text=True)
    svg = re.search(r'<svg class="op-diagram".*?</svg>', page, re.S).group(0)
    return ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))


def edges(svg: ET.Element) -> dict[tuple[int, int], set[str]]:
    return {
        (int(p.get("data-from")), int(p.get("data-to"))): set(p.get("class").split())
        for p in svg.iter(f"{SVG}path")
        if p.get("data-from")
    }


def test_diagram_marks_the_jump_and_the_return_to_main(app, admin_client):
    op_id = factories.jumped_operation(app)
    ids = factories.action_ids(app, op_id)
    jump, red, finish = ids["main/jump_to_red"], ids["red/red_step"], ids["main/finish"]
    drawn = edges(diagram(admin_client, op_id))
    assert {"taken", "edge-jump"} <= drawn[(jump, red)]
    assert {"taken", "edge-return"} <= drawn[(red, finish)]
    # The declared main order (jump_to_red -> finish) is drawn but was not taken.
    assert "taken" not in drawn[(jump, finish)]


def test_diagram_numbers_the_steps_in_the_order_they_ran(app, admin_client):
    op_id = factories.jumped_operation(app)
    ids = factories.action_ids(app, op_id)
    svg = diagram(admin_client, op_id)
    steps = {}
    for group in svg.iter(f"{SVG}g"):
        label = "".join(group.itertext())
        match = re.search(r"step (\d)", label)
        steps[int(group.get("data-action-id"))] = int(match.group(1)) if match else None
    assert steps == {ids["main/jump_to_red"]: 1, ids["red/red_step"]: 2, ids["main/finish"]: 3}


def test_diagram_marks_the_failed_action_as_current(app, admin_client, tmp_path):
    op_id, _ = factories.failed_operation(app, tmp_path)
    ids = factories.action_ids(app, op_id)
    svg = diagram(admin_client, op_id)
    classes = {int(g.get("data-action-id")): g.get("class").split() for g in svg.iter(f"{SVG}g")}
    assert "current" in classes[ids["main/fails_until_allowed"]]
    assert "node-failed" in classes[ids["main/fails_until_allowed"]]
    assert "taken" not in classes[ids["main/finish"]]
    drawn = edges(svg)
    assert {"taken", "edge-next"} <= drawn[(ids["main/ok"], ids["main/fails_until_allowed"])]
