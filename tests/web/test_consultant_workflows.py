"""Consultant workflows through the test client: accounts, dashboard, notes and overrides,
versions, export and import, respondents, and a program adding a pathway."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from consultanthelpers import PASSWORD, add_user, complete, create_community, page_csrf, sign_in
from flask import Flask
from flask.testing import FlaskClient
from webhelpers import HUNTINGTON, Wizard, csrf_of

from planner.cli import main
from planner.knowledge.model import Knowledge
from planner.web import accounts, db, workspace

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def csrf(client: FlaskClient) -> str:
    return page_csrf(client, "/dashboard")


def by_section(kb: Knowledge, answers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, dict[str, Any]] = {s.id: {} for s in kb.sections}
    for qid, value in answers.items():
        grouped[kb.questions[qid].section][qid] = value
    return grouped


# ------------------------------------------------------------------ accounts


def test_add_user_creates_an_account_with_a_scrypt_hash(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    runner = CliRunner()
    result = runner.invoke(main, ["add-user", "Cat@Example.org", "--name", "Cat",
                                  "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created the account cat@example.org" in result.output
    again = runner.invoke(main, ["add-user", "cat@example.org", "--password", PASSWORD])
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(main, ["add-user", "dan@example.org", "--password", "short"])
    assert short.exit_code != 0 and "at least 12" in short.output
    from planner import create_app
    with create_app().app_context():
        user = db.session().query(accounts.User).one()
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash


def test_a_wrong_email_or_password_gets_the_same_message(app: Flask) -> None:
    add_user(app, "ann@example.org")
    client = app.test_client()
    token = page_csrf(client, "/sign-in")
    wrong_password = client.post("/sign-in", data={"csrf_token": token,
                                                   "email": "ann@example.org",
                                                   "password": "not the password"})
    wrong_email = client.post("/sign-in", data={"csrf_token": token, "email": "x@example.org",
                                                "password": PASSWORD})
    for response in (wrong_password, wrong_email):
        assert response.status_code == 400
        assert "The email or password is wrong." in response.text
    assert client.get("/dashboard").status_code == 303


def test_sign_in_needs_the_csrf_token(app: Flask) -> None:
    add_user(app, "ann@example.org")
    response = app.test_client().post("/sign-in", data={"email": "ann@example.org",
                                                         "password": PASSWORD})
    assert response.status_code == 400


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(app: Flask) -> None:
    add_user(app, "ann@example.org")
    client = app.test_client()
    assert client.get("/dashboard").location.startswith("/sign-in?next=")
    token = page_csrf(client, "/sign-in")
    data = {"csrf_token": token, "email": "ANN@example.org", "password": PASSWORD}
    assert client.post("/sign-in?next=//evil.example", data=data).location == "/dashboard"
    client.post("/sign-out", data={"csrf_token": page_csrf(client, "/dashboard")})
    token = page_csrf(client, "/sign-in")
    data["csrf_token"] = token
    assert client.post("/sign-in?next=/dashboard", data=data).location == "/dashboard"


def test_sign_out_ends_the_session(ann: FlaskClient) -> None:
    assert ann.get("/dashboard").status_code == 200
    response = ann.post("/sign-out", data={"csrf_token": csrf(ann)})
    assert response.status_code == 303
    assert ann.get("/dashboard").status_code == 303


# ----------------------------------------------------------------- dashboard


def test_the_dashboard_lists_creates_duplicates_and_archives(app: Flask,
                                                             ann: FlaskClient) -> None:
    key, _ = create_community(ann, "Huntington")
    complete(app, ann, key)
    page = ann.get("/dashboard").text
    assert "Huntington" in page and "Answers complete" in page and "Naloxone Plus" in page
    response = ann.post(f"/c/{key}/duplicate", data={"csrf_token": csrf(ann)})
    copy = re.search(r"/c/(w\d+)/manage", response.location)
    assert copy and copy.group(1) != key
    assert "Copy of Huntington" in ann.get("/dashboard").text
    ann.post(f"/c/{key}/archive", data={"csrf_token": csrf(ann), "action": "archive"})
    page = ann.get("/dashboard").text
    assert "Archived" in page and "Restore" in page
    ann.post(f"/c/{key}/archive", data={"csrf_token": csrf(ann), "action": "unarchive"})
    assert "Restore" not in ann.get("/dashboard").text


def test_a_community_needs_a_name(ann: FlaskClient) -> None:
    for name in ("", "x" * 201):
        response = ann.post("/dashboard/new", data={"csrf_token": csrf(ann), "name": name})
        assert response.status_code == 400
        assert "Nothing was created" in response.text
    assert "You have no communities yet" in ann.get("/dashboard").text


def test_consultants_see_only_their_own_communities(app: Flask, ann: FlaskClient) -> None:
    create_community(ann, "Ann's town")
    add_user(app, "bob@example.org")
    bob = app.test_client()
    sign_in(bob, "bob@example.org")
    assert "Ann's town" not in bob.get("/dashboard").text


# ------------------------------------------------- notes, overrides, audit


def test_notes_and_a_result_override_show_on_results_and_in_the_plan(app: Flask,
                                                                      ann: FlaskClient) -> None:
    key, token = create_community(ann)
    complete(app, ann, key)
    ann.post(f"/c/{key}/notes", data={"csrf_token": csrf(ann),
                                      "note-treatment": "Wait times checked with the county."})
    response = ann.post(f"/c/{key}/overrides", data={
        "csrf_token": csrf(ann), "kind": "result", "pathway": "self-referral",
        "reason": "The council funds walk-in help first."})
    assert response.status_code == 303
    results = ann.get(f"/c/{key}/results").text
    assert "Chosen by your consultant: Self-Referral" in results
    assert "Wait times checked with the county." in results
    assert "The council funds walk-in help first." in results
    plan = ann.get(f"/c/{key}/plan").text
    assert "Self-Referral in practice" in plan
    assert "Wait times checked with the county." in plan
    assert "Reason: The council funds walk-in help first." in plan
    # The community's own link shows the same plan without the consultant's notes and
    # reasons (tests/web/test_notes_private.py walks every route).
    shared = app.test_client().get(f"/c/{token}/plan").text
    assert "Self-Referral in practice" in shared
    assert "chosen by Ann Consultant (a consultant's override of the result).</p>" in shared
    assert "The council funds walk-in help first." not in shared
    assert "Wait times checked with the county." not in shared


def test_an_override_without_a_reason_or_with_a_bad_weight_saves_nothing(
        app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    no_reason = ann.post(f"/c/{key}/overrides", data={
        "csrf_token": csrf(ann), "kind": "result", "pathway": "self-referral", "reason": " "})
    assert no_reason.status_code == 400 and "Give the reason" in no_reason.text
    kb = app.extensions["planner.kb"]
    rule = next(r for r in kb.rules if r.fact in kb.pathways[r.pathway].element_ids)
    for weight, words in (("-5", "critical element"), ("99", "-30 to 30"), ("two", "-30 to 30")):
        response = ann.post(f"/c/{key}/overrides", data={
            "csrf_token": csrf(ann), "kind": "weight", "rule": rule.id, "weight": weight,
            "reason": "Testing"})
        assert response.status_code == 400, weight
        assert words in response.text
        summary = response.text.split('id="error-summary"')[1].split("</div>")[0]
        assert rule.id not in summary  # the reason in plain words, never the rule's id
    unknown = ann.post(f"/c/{key}/overrides", data={
        "csrf_token": csrf(ann), "kind": "weight", "rule": "no-such-rule", "weight": "3",
        "reason": "Testing"})
    assert unknown.status_code == 400 and "unknown rule" in unknown.text
    bad_kind = ann.post(f"/c/{key}/overrides", data={"csrf_token": csrf(ann), "kind": "x"})
    assert bad_kind.status_code == 400
    assert "None: the results follow the published weights." in ann.get(
        f"/c/{key}/overrides").text


def test_an_override_that_changes_nothing_is_refused(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    kb = app.extensions["planner.kb"]
    rule = next(r for r in kb.rules if r.pathway == "naloxone-plus" and r.weight > 0)

    def set_weight(weight: int) -> Any:
        return ann.post(f"/c/{key}/overrides", data={
            "csrf_token": csrf(ann), "kind": "weight", "rule": rule.id, "weight": str(weight),
            "reason": "Testing"})

    same = set_weight(rule.weight)
    assert same.status_code == 400
    assert f"The weight is already {rule.weight}" in same.text
    assert set_weight(0).status_code == 303
    again = set_weight(0)  # the override in force is 0 now
    assert again.status_code == 400 and "The weight is already 0" in again.text
    assert set_weight(rule.weight).status_code == 303  # back to the published weight


def test_a_weight_override_changes_the_score_and_can_be_withdrawn(app: Flask,
                                                                 ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    kb = app.extensions["planner.kb"]
    before = ann.get(f"/c/{key}/versions")
    assert before.status_code == 200
    ann.post(f"/c/{key}/versions", data={"csrf_token": csrf(ann), "label": "Published"})
    rule = next(r for r in kb.rules if r.pathway == "naloxone-plus" and r.weight > 0)
    response = ann.post(f"/c/{key}/overrides", data={
        "csrf_token": csrf(ann), "kind": "weight", "rule": rule.id, "weight": "0",
        "reason": "Not true here."})
    assert response.status_code == 303
    page = ann.get(f"/c/{key}/overrides").text
    label = workspace.rule_label(kb, rule)
    assert (f"Override of a weight for Naloxone Plus: \u201c{label}\u201d set from "
            f"{rule.weight} to 0. Reason: Not true here.") in html.unescape(page)
    compare = ann.get(f"/c/{key}/compare?from=1&to=current").text
    assert "No answer changed" in compare and "score -" in compare
    override_id = re.search(r"/overrides/(\d+)/remove", page)
    assert override_id
    ann.post(f"/c/{key}/overrides/{override_id.group(1)}/remove",
             data={"csrf_token": csrf(ann)})
    assert "None: the results follow" in ann.get(f"/c/{key}/overrides").text
    assert ann.post(f"/c/{key}/overrides/{override_id.group(1)}/remove",
                    data={"csrf_token": csrf(ann)}).status_code == 404


def test_the_audit_trail_records_who_changed_what(app: Flask, ann: FlaskClient) -> None:
    key, token = create_community(ann)
    complete(app, ann, key)
    guest = Wizard(app, app.test_client())
    guest.token = token
    guest.post_step("problems", {"overdoses": "some", "overdose-deaths": "rising",
                                 "hot-spots": "yes"})
    ann.post(f"/c/{key}/notes", data={"csrf_token": csrf(ann), "note-general": "Met the chief."})
    page = ann.get(f"/c/{key}/audit").text
    assert "Ann Consultant" in page and "Holder of the private link" in page
    assert "Notes changed: General" in page
    assert "created" in page and "answers" in page


def test_notes_that_are_too_long_are_refused(app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    response = ann.post(f"/c/{key}/notes", data={"csrf_token": csrf(ann),
                                                 "note-general": "x" * 4001})
    assert response.status_code == 400
    assert "x" * 50 not in ann.get(f"/c/{key}/notes").text


# ------------------------------------------------------ versions and compare


def test_compare_shows_changed_answers_and_how_the_ranking_moved(app: Flask,
                                                                 ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    wizard = complete(app, ann, key)
    ann.post(f"/c/{key}/versions", data={"csrf_token": csrf(ann), "label": "Before the visit"})
    wizard.post_step("access", {"naloxone": "no"})
    ann.post(f"/c/{key}/versions", data={"csrf_token": csrf(ann), "label": "After the visit"})
    page = ann.get(f"/c/{key}/compare?from=1&to=2")
    assert page.status_code == 200
    changed = page.text.split('id="changed-answers"')[1].split("</table>")[0]
    assert "1 answer changed" in changed
    assert re.search(r"<td[^>]*>Yes[^<]*</td><td[^>]*>No", changed)
    moves = page.text.split('id="ranking-moves"')[1].split("</table>")[0]
    assert "Naloxone Plus" in moves and "score -" in moves
    assert ann.get(f"/c/{key}/compare?from=9").status_code == 404
    assert ann.get(f"/c/{key}/compare?from=abc").status_code == 400


# ---------------------------------------------------------- export and import


def test_export_gives_the_versioned_answers_file(app: Flask, ann: FlaskClient) -> None:
    key, token = create_community(ann)
    complete(app, ann, key)
    response = app.test_client().get(f"/c/{token}/answers.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.text)
    from planner.engine import answers as core
    kb = app.extensions["planner.kb"]
    assert core.read_file(kb, data).answers["naloxone"] == "yes"


def upload(client: FlaskClient, key: str, body: bytes) -> Any:
    return client.post(f"/c/{key}/import", data={
        "csrf_token": csrf(client), "file": (io.BytesIO(body), "answers.json")},
        content_type="multipart/form-data")


def test_bad_answers_files_are_refused_with_the_problem_named(app: Flask,
                                                              ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    good = json.loads(ann.get(f"/c/{key}/answers.json").text)
    cases = [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (json.dumps({**good, "questions_version": 999}).encode(), "questions version 999"),
        (json.dumps({**good, "answers": {**good["answers"], "naloxone": "maybe"}}).encode(),
         "naloxone"),
        (json.dumps({**good, "answers": {"no-such-question": "x"}}).encode(),
         "no-such-question"),
        (json.dumps([1, 2]).encode(), "cannot be imported"),
    ]
    for body, words in cases:
        response = upload(ann, key, body)
        assert response.status_code == 400, body
        assert words in response.text, (words, response.text[-2000:])
        assert "Nothing was imported" in response.text
    no_file = ann.post(f"/c/{key}/import", data={"csrf_token": csrf(ann)})
    assert no_file.status_code == 400
    assert ann.get(f"/c/{key}/answers.json").json == good


def test_import_shows_the_changes_and_keeps_the_old_answers_as_a_version(
        app: Flask, ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    data = json.loads(ann.get(f"/c/{key}/answers.json").text)
    data["answers"]["naloxone"] = "no"
    confirm = upload(ann, key, json.dumps(data).encode())
    assert confirm.status_code == 200
    assert "1 answer would change" in confirm.text
    assert ann.get(f"/c/{key}/answers.json").json["answers"]["naloxone"] == "yes"
    payload = re.search(r'name="payload" value="([^"]*)"', confirm.text)
    assert payload
    import html
    done = ann.post(f"/c/{key}/import/confirm", data={
        "csrf_token": csrf(ann), "payload": html.unescape(payload.group(1))})
    assert done.status_code == 303 and "compare" in done.location
    page = ann.get(done.location).text
    assert "Before import" in page and "Imported from a file" in page
    assert ann.get(f"/c/{key}/answers.json").json["answers"]["naloxone"] == "no"
    assert "Answers imported from a file" in ann.get(f"/c/{key}/audit").text
    tampered = ann.post(f"/c/{key}/import/confirm", data={"csrf_token": csrf(ann),
                                                          "payload": "{}"})
    assert tampered.status_code == 400


# --------------------------------------------------------------- respondents


def test_respondents_answer_separately_and_the_consultant_settles(app: Flask,
                                                                 ann: FlaskClient) -> None:
    key, _ = create_community(ann)
    complete(app, ann, key)
    links = []
    for role in ("police", "treatment"):
        ann.post(f"/c/{key}/respondents", data={"csrf_token": csrf(ann), "role": role})
        page = ann.get(f"/c/{key}/respondents").text
        found = re.search(r"/c/([A-Za-z0-9_-]{40,64})", page)
        assert found
        links.append(found.group(1))
    for link, wait in zip(links, ("within-week", "longer"), strict=True):
        respondent = Wizard(app, app.test_client())
        respondent.token = link
        answers = {s: dict(v) for s, v in HUNTINGTON.items()}
        answers["community"].pop("respondent-role")
        answers["treatment"]["treatment-wait"] = wait
        respondent.complete(answers)
        assert respondent.saved()["community-name"] == "Huntington"
        review = respondent.client.get(respondent.url("/review")).text
        assert ">Finish</a>" in review and "See your results" not in review
        finished = respondent.client.get(respondent.url("/results"))
        assert finished.status_code == 200
        assert "your answers are saved" in finished.text and "Fit score" not in finished.text
        role = {"within-week": "Police", "longer": "Treatment provider"}[wait]
        assert f"You answered as: {role}." in finished.text
        token = csrf_of(respondent.client.get(respondent.url("/step/community")).text)
        for refused in (respondent.client.get(respondent.url("/plan")),
                        respondent.client.get(respondent.url("/plan.pdf")),
                        respondent.client.post(respondent.url("/what-if"),
                                               data={"csrf_token": token})):
            assert refused.status_code == 403
            assert "has no results or plan of its own" in refused.text
    page = ann.get(f"/c/{key}/respondents").text
    assert page.count('class="usa-fieldset margin-y-3 planner-divergence"') == 1
    assert "Police: Within a week" in page or "Police: " in page
    treatment = re.search(r'id="settle-treatment-wait-(\d+)" name="settle-treatment-wait" '
                          r'value="\d+"><label[^>]*>Treatment provider', page)
    assert treatment
    nothing = ann.post(f"/c/{key}/respondents/settle", data={"csrf_token": csrf(ann)})
    assert nothing.status_code == 400
    bad = ann.post(f"/c/{key}/respondents/settle", data={
        "csrf_token": csrf(ann), "settle-treatment-wait": "99999"})
    assert bad.status_code == 400 and "Nothing was saved" in bad.text
    done = ann.post(f"/c/{key}/respondents/settle", data={
        "csrf_token": csrf(ann), "settle-treatment-wait": treatment.group(1)})
    assert done.status_code == 303
    assert ann.get(f"/c/{key}/answers.json").json["answers"]["treatment-wait"] == "longer"
    plan = ann.get(f"/c/{key}/plan").text
    assert "Where respondents&#39; views differed" in plan or \
        "Where respondents' views differed" in plan
    assert "Police: " in plan and "Treatment provider: " in plan
    assert ann.post(f"/c/{key}/respondents", data={"csrf_token": csrf(ann),
                                                   "role": "mayor"}).status_code == 400


# -------------------------------------------------------- adding a pathway


def test_a_program_adding_a_pathway_sees_what_it_builds_on_and_only_what_is_new(
        app: Flask, client: FlaskClient) -> None:
    scenario = yaml.safe_load((SCENARIOS / "plymouth-adds-pathway.yaml").read_text())
    kb = app.extensions["planner.kb"]
    wizard = Wizard(app, client)
    wizard.start("existing")
    wizard.complete(by_section(kb, scenario["answers"]))
    results = client.get(wizard.url("/results")).text
    assert "Already running: Naloxone Plus" in results
    assert re.search(r"Adding (Officer Intervention|[A-Z][\w ]+) to your program", results)
    assert "Builds on what you have:" in results and "New tasks:" in results
    plan = client.get(wizard.url("/plan")).text
    assert "What adding it to your program takes" in plan
    assert "New tasks:" in plan and "New data and measures:" in plan
    from planner.engine import plan as core_plan
    from planner.engine.answers import validate
    from planner.engine.profile import read_profile
    built = core_plan.build(kb, read_profile(kb, validate(kb, scenario["answers"])))
    delta = built.recommended[0].delta
    assert delta is not None
    shared = [t for t in kb.tasks.values()
              if "naloxone-plus" in t.pathways and t.id not in delta.new_tasks]
    for task in shared:
        assert task.label not in plan.split('id="actions"')[1].split("</section>")[0]
