"""The `strideplan` command: serve, database, organisations, plans and rule authoring."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import track

from app.config import get_settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.engine.model import RuleSet
    from app.engine.problems import RuleProblem
    from app.plan.models import Plan

cli = typer.Typer(
    help="StridePlan: training plans for injured and imbalanced runners.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
org_cli = typer.Typer(help="Organisations and API keys.", no_args_is_help=True)
rules_cli = typer.Typer(help="Check and test rule files.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(org_cli, name="org")
cli.add_typer(rules_cli, name="rules")
out = Console(soft_wrap=True, highlight=False)  # results: problems, failures, summaries
err = Console(stderr=True, soft_wrap=True, highlight=False)  # progress and side notes


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (docs at /docs)."""
    import os

    import uvicorn

    from app.observability import configure_logging

    # Worker processes read their settings from the environment: ask them for JSON logs too.
    os.environ["STRIDEPLAN_CONFIGURE_LOGGING"] = "true"
    get_settings.cache_clear()
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        log_config=None,  # keep the JSON logging configured above
    )


@cli.command()
def worker(
    concurrency: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Tasks run at once by this process (threads; plan generation holds the "
            "interpreter, so run one worker process per core rather than raise this).",
        ),
    ] = 1,
) -> None:
    """Run plan re-generation tasks from the PostgreSQL job queue until SIGTERM or Ctrl-C
    (the task in hand is finished first). Run as many as you like, on any machine."""
    from app.observability import configure_logging
    from app.queue import run_worker, uses_queue

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    try:
        queued = uses_queue(settings)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    if not queued:
        raise _fail(
            "there is no job queue on this database (SQLite, or STRIDEPLAN_JOBS=in_process): "
            "`strideplan serve` re-generates plans itself",
            2,
        )
    err.print(f"worker: {concurrency} task(s) at a time; SIGTERM stops it after its tasks")
    run_worker(settings, concurrency)


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations (creates the SQLite file if needed)."""
    from app.storage.migrations import upgrade

    settings = get_settings()
    upgrade(settings.alembic_dir, settings.database_url, revision)
    err.print(f"database at {revision}")


@org_cli.command("create")
def org_create(name: Annotated[str, typer.Argument(help="The organisation's name.")]) -> None:
    """Create an organisation; prints its id and first API key (shown only this once)."""
    from app.services.organizations import create_organization
    from app.storage.db import make_engine, make_sessionmaker

    if not 1 <= len(name) <= 100:
        err.print("[red]the name must be 1-100 characters[/red]")
        raise typer.Exit(2)
    engine = make_engine(get_settings().database_url)
    with make_sessionmaker(engine)() as db, db.begin():
        organization, key = create_organization(db, name)
        organization_id = organization.id
    engine.dispose()
    print(json.dumps({"organization_id": organization_id, "api_key": key}))


EXAMPLE_SHIFT_DAYS = 364  # 52 weeks: the same weekdays, about the same season


def shifted_example(data: dict[str, Any], today: date) -> dict[str, Any]:
    """An example intake moved on by whole 52-week years until none of its dates (start and
    goals) lies before `today`: race weekdays and the season stay, the plan is ahead."""
    goals = [dict(g) for g in data.get("goals", [])]
    dates = [date.fromisoformat(str(g["date"])) for g in goals]
    if data.get("start_date"):
        dates.append(date.fromisoformat(str(data["start_date"])))
    earliest = min(dates, default=today)
    years = max(0, -(-(today - earliest).days // EXAMPLE_SHIFT_DAYS))
    shift = timedelta(days=EXAMPLE_SHIFT_DAYS * years)
    moved: dict[str, Any] = {**data}
    for goal in goals:
        goal["date"] = (date.fromisoformat(str(goal["date"])) + shift).isoformat()
    if goals:
        moved["goals"] = goals
    if data.get("start_date"):
        moved["start_date"] = (date.fromisoformat(str(data["start_date"])) + shift).isoformat()
    return moved


@cli.command()
def example(
    name: Annotated[str, typer.Argument(help="An example in examples/, without .json.")],
    today: Annotated[
        str | None, typer.Option(help="Shift relative to this day (YYYY-MM-DD); default today.")
    ] = None,
) -> None:
    """Print an example intake with its dates moved to the coming season (whole 52-week
    years, so race weekdays stay), ready for `plan` or the API."""
    from app.config import PROJECT_ROOT

    folder = PROJECT_ROOT / "examples"
    names = sorted(p.stem for p in folder.glob("*.json"))
    if name not in names:
        raise _fail(f"no example {name!r}; examples: {', '.join(names)}", 2)
    data = json.loads((folder / f"{name}.json").read_text())
    day = date.fromisoformat(today) if today else date.today()
    print(json.dumps(shifted_example(data, day), indent=2))


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(code)


@cli.command()
def plan(
    intake_file: Annotated[
        Path, typer.Argument(help="Intake JSON file.", exists=True, dir_okay=False)
    ],
    ics: Annotated[
        Path | None, typer.Option("--ics", help="Also write the plan as iCalendar.")
    ] = None,
    explain: Annotated[
        bool, typer.Option(help="List rules one condition short of firing.")
    ] = False,
    today: Annotated[
        str | None, typer.Option(help="Today's date (YYYY-MM-DD) for the default start.")
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help="Rule directory (default: the shipped rules).")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Also draw weekly distance and caps as SVG.")
    ] = None,
    review: Annotated[
        bool,
        typer.Option(
            "--review",
            help="Also print the plan review: hard limits (which refuse a plan) and shape "
            "warnings, each with its rule and week.",
        ),
    ] = False,
) -> None:
    """Print the plan for an intake as JSON (no database needed)."""
    from app.api.deps import today_in
    from app.engine.compile import load_ruleset
    from app.errors import StridePlanError
    from app.export.ical import CalendarOptions, revision_stamp, to_ical
    from app.intake.checks import finalize
    from app.intake.models import Intake
    from app.intake.vocabulary import vocabulary_in_use
    from app.plan.build import BuildOptions, build_plan, preview_lineage

    try:
        ruleset = load_ruleset(rules or get_settings().rules_dir)
    except StridePlanError as exc:
        err.print(json.dumps(exc.body(), indent=2, default=str))
        raise _fail(exc.message, 2) from None
    try:  # with the rules' vocabulary: their own findings and conditions are valid names
        with vocabulary_in_use(ruleset.vocabulary):
            intake = Intake.model_validate_json(intake_file.read_bytes())
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            err.print(f"{'.'.join(map(str, error['loc']))}: {error['msg']}")
        raise _fail(f"{intake_file}: invalid intake", 2) from None
    try:
        day = date.fromisoformat(today) if today else today_in(intake.athlete.timezone)
        finalized = finalize(intake, day)
        options = BuildOptions(lineage=preview_lineage(finalized), explain=explain)
        result = build_plan(finalized, ruleset, options)
    except StridePlanError as exc:
        if review and exc.code == "safety_violation":
            err.print("[red]plan review: refused[/red]")
            for line in exc.detail or []:
                err.print(f"  hard  {line}", markup=False)
        err.print(json.dumps(exc.body(), indent=2, default=str))
        raise _fail(exc.message, 2) from None
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    print(result.model_dump_json(indent=2, exclude_none=True))
    if review:
        _print_review(result)
    if explain:
        _explain(result)
    if ics is not None:
        settings = get_settings()
        ics.write_bytes(
            to_ical(
                result,
                CalendarOptions(stamp=revision_stamp(result.start), host=settings.calendar_host),
            )
        )
        err.print(f"calendar written to {ics}")
    if chart is not None:
        from app.export.chart import to_svg

        chart.write_bytes(to_svg(result))
        err.print(f"chart written to {chart}")


def _print_review(result: Plan) -> None:
    """The plan review, for a coach: every shape warning with its rule and week."""
    if not result.review:
        err.print("[green]plan review: passed[/green] (no hard limit broken, no shape warning)")
        return
    err.print(f"plan review: passed with {len(result.review)} warning(s)")
    for finding in result.review:
        week = f"week of {finding.week}" if finding.week else "whole plan"
        err.print(
            f"  {finding.level:<4}  {finding.rule:<22} {week:<20} {finding.message}", markup=False
        )


def _load_rules(path: Path | None) -> RuleSet:
    """Load and validate a rule set, or print every problem and exit 1."""
    from app.engine.compile import load_ruleset
    from app.engine.problems import RuleSetRejected

    base = get_settings().rules_dir
    target = path or base
    try:
        return load_ruleset(target, protected=True, base=base)
    except RuleSetRejected as exc:
        for problem in exc.problems:
            out.print(str(problem), markup=False)
        _print_warnings(exc.warnings)
        out.print(f"[red]{len(exc.problems)} problem(s) in {target}[/red]")
        raise typer.Exit(1) from None


def _print_warnings(warnings: Sequence[RuleProblem]) -> None:
    """Likely mistakes, after the errors: they never fail a check."""
    for warning in warnings:
        out.print(f"warning: {warning}", markup=False)
    if warnings:
        out.print(f"[yellow]{len(warnings)} warning(s)[/yellow] (likely mistakes; not errors)")


@rules_cli.command("check")
def rules_check(
    path: Annotated[Path | None, typer.Argument(help="Rule directory or file.")] = None,
    samples: Annotated[
        int, typer.Option(min=0, max=100_000, help="Random intakes to check the safety rules on.")
    ] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the random intakes.")] = 20261121,
) -> None:
    """Validate and compile a rule set (every problem with file and line), then check that the
    plans for a sample of random intakes keep every safety rule."""
    from app.authoring.cases import case_problems
    from app.authoring.sample import check_sample, shadowed_caps

    ruleset = _load_rules(path)
    out.print(
        f"compiled: {len(ruleset.rules)} rules in {len(ruleset.files)} files, "
        f"{len(ruleset.conditions)} engine conditions, {len(ruleset.strata)} strata, "
        f"{len(ruleset.catalog.exercises)} exercises, {len(ruleset.cases)} cases"
    )
    problems = case_problems(ruleset)
    for problem in problems:
        out.print(str(problem), markup=False)
    _print_warnings(ruleset.warnings)
    if problems:
        out.print(f"[red]{len(problems)} problem(s) in the cases[/red]")
        raise typer.Exit(1)
    found = check_sample(ruleset, samples, seed) if samples else None
    if found is not None:
        out.print("[red]a plan broke a safety rule:[/red]")
        for violation in found.problems:
            out.print(f"  {violation}", markup=False)
        out.print("counterexample intake:")
        out.print(json.dumps(found.intake, indent=2), markup=False)
        raise typer.Exit(1)
    out.print(f"[green]ok[/green]: plans for {samples} random intakes keep every safety rule")
    for shadowed in shadowed_caps(ruleset, samples, seed) if samples else []:
        out.print(f"[yellow]shadowed cap[/yellow] {shadowed}", markup=True)


@rules_cli.command("test")
def rules_test(
    path: Annotated[Path | None, typer.Argument(help="Rule directory or file.")] = None,
) -> None:
    """Run every case in the rule files; exits non-zero if any fails."""
    from app.authoring.cases import run_case

    ruleset = _load_rules(path)
    results = [
        run_case(ruleset, case)
        for case in track(ruleset.cases, description="running cases", console=err, transient=True)
    ]
    failed = [r for r in results if not r.passed]
    for result in failed:
        out.print(f"[red]FAIL[/red] {result.where()} {result.name}")
        for failure in result.failures:
            out.print(f"     {failure}", markup=False)
    passed = len(results) - len(failed)
    colour = "red" if failed else "green"
    out.print(f"[{colour}]{passed} passed, {len(failed)} failed[/{colour}] ({len(results)} cases)")
    if failed:
        raise typer.Exit(1)


def _explain(plan: Plan) -> None:
    """A readable account of the rules behind a plan, on stderr (the JSON stays on stdout)."""
    err.print(f"[bold]{len(plan.decisions)} rules fired[/bold] (status {plan.status}):")
    for decision in plan.decisions:
        matched = f"  ← {'; '.join(decision.matched)}" if decision.matched else ""
        err.print(f"  {decision.rule}: {decision.title}{matched}", markup=False)
    misses = plan.near_misses or []
    err.print(f"[bold]{len(misses)} rules one condition short:[/bold]")
    for miss in misses:
        err.print(f"  {miss.rule}: needs {miss.missing}", markup=False)


@rules_cli.command("schema")
def rules_schema() -> None:
    """Print the JSON Schema of rule files (for editors)."""
    from app.engine.schema import rule_file_json_schema

    json.dump(rule_file_json_schema(), sys.stdout, indent=2, sort_keys=True)
    print()


def main() -> None:
    """Entry point of the `strideplan` console script."""
    cli()


if __name__ == "__main__":
    main()
