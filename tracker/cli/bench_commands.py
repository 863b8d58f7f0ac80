"""Sub-command ``tracker bench``: the scaling benchmarks of issue 8 (see :mod:`tracker.bench`).

The run's progress (:class:`tracker.progress.Progress` events) is drawn on stderr by
:func:`tracker.cli.output.progress_printer`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import TrackerError
from .base import main
from .output import progress_printer

__all__ = ["bench"]


def _sizes(_ctx, _param, value: str) -> list[int]:
    try:
        sizes = [int(v.replace("_", "").replace(",", "").strip()) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"规模应为逗号分隔的整数，如 1000,10000；收到“{value}”") from None
    if not sizes or any(n < 10 for n in sizes):
        raise click.BadParameter("每个规模至少 10 家企业 / each size needs at least 10 firms")
    return sizes


def _steps(_ctx, _param, value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@main.command()
@click.option("--sizes", default="1000,10000,100000,1000000", show_default=True,
              callback=_sizes, help="企业数（逗号分隔） / numbers of firms, comma-separated")
@click.option("--db", "bench_db", default=None, metavar="URL",
              help="PostgreSQL 地址：在其服务器上建临时数据库运行；默认临时文件夹中的 SQLite / "
                   "a PostgreSQL URL to run on (throwaway databases on its server); default "
                   "SQLite in a temporary folder")
@click.option("--postgres-server", is_flag=True,
              help="另启动一个临时的本机 PostgreSQL 服务器并在其上也运行一遍 / also run on a "
                   "throwaway local PostgreSQL server")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              metavar="OUT", help="结果写为 JSON / write the results as JSON")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False), default=None,
              metavar="BENCHMARKS.md", help="结果写为 Markdown 表格（保留其中的“## Analysis”一节） / "
                                            "write the Markdown table (keeps its ## Analysis)")
@click.option("--steps", callback=_steps, default=None, metavar="A,B",
              help="只运行这些步骤 / run only these steps: import_xlsx, import_csv, coverage, "
                   "monthly_series, graph_chain, graph_district, rules, overview, chain_page, "
                   "report, planner")
@click.option("--load-test", is_flag=True,
              help="另做负载测试：50 个会话同时登录并打开总览（直接使用 Streamlit 的 websocket 协议，"
                   "不用浏览器），先一个看板进程，再两个 / also run the load test: 50 sessions "
                   "signing in and opening the overview together (Streamlit's websocket "
                   "protocol, no browser), on one dashboard process, then on two")
@click.option("--soak", default=None, type=click.IntRange(1, 24 * 60), metavar="MINUTES",
              help="另做持续负载测试：10 个会话连续查看总览若干分钟，每分钟记录内存和响应时间 / "
                   "also run the soak: 10 sessions viewing the overview for MINUTES, memory "
                   "and view times sampled each minute")
@click.option("--timeout", default=None, type=float, metavar="SECONDS",
              help="每个步骤（及数据生成）的时限（秒），默认按规模：约 67 万家以下 600 秒，"
                   "以上每家 0.9 毫秒（100 万家 900 秒） / seconds allowed to each step and to "
                   "the data generation; default by size: 600 s, 0.9 ms per firm above "
                   "about 670,000 firms (900 s at 1,000,000)")
@click.option("--keep", "keep_dir", default=None, type=click.Path(file_okay=False), metavar="DIR",
              help="在此文件夹保留各规模的 SQLite 数据库和企业表；再次运行时若规模、种子、日期"
                   "及生成器未变则直接复用，不再生成 / keep each size's SQLite store and firm "
                   "sheets in DIR; a later run reuses them while the size, seed, date and "
                   "generator are unchanged")
@click.option("--merge", "merge_paths", multiple=True, type=click.Path(exists=True, dir_okay=False),
              metavar="JSON", help="不测量：合并这些先前运行的 JSON 结果（可重复）并写出 --json/--markdown；"
                                   "同一后端和规模以较新的为准 / measure nothing: merge the JSON "
                                   "results of earlier runs (repeatable) into --json/--markdown; "
                                   "for the same backend and size the later run wins")
def bench(sizes, bench_db, postgres_server, json_path, markdown_path, steps, load_test, soak,
          timeout, keep_dir, merge_paths):
    """规模基准测试：从一个区到一个省 / benchmarks from a district to a province."""
    import signal

    # Imported here: the benchmark tooling loads only when the command runs.
    from ..bench import keep_analysis, merge_results, run_benchmark, to_markdown

    for target in (json_path, markdown_path):
        if target and not Path(target).resolve().parent.is_dir():
            raise TrackerError(f"目录不存在：{Path(target).resolve().parent}")
    analysis = keep_analysis(markdown_path) if markdown_path else None

    def save(results) -> None:
        # Written after every step: a run stopped half-way keeps what it measured.
        if json_path:
            Path(json_path).write_text(json.dumps(results, ensure_ascii=False, indent=2,
                                                  default=str), encoding="utf-8")
        if markdown_path:
            Path(markdown_path).write_text(to_markdown(results, analysis), encoding="utf-8")

    if merge_paths:
        if not (json_path or markdown_path):
            raise TrackerError("--merge 需要 --json 或 --markdown 指定输出 / --merge needs --json "
                               "or --markdown to write to")
        parts = []
        for path in merge_paths:
            try:
                parts.append(json.loads(Path(path).read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                raise TrackerError(f"无法读取基准结果 {path}：{exc}") from None
        try:
            merged = merge_results(parts)
        except (KeyError, ValueError) as exc:
            raise TrackerError(f"无法合并基准结果：{exc}") from None
        save(merged)
        for target in filter(None, (json_path, markdown_path)):
            click.echo(f"已合并 {len(parts)} 份结果 / merged {len(parts)} results: {target}", err=True)
        return
    if timeout is not None and timeout <= 0:
        raise TrackerError("时限应为正数（秒） / --timeout must be positive")
    if keep_dir and bench_db and not bench_db.startswith("sqlite"):
        click.echo("--keep 只保留 SQLite 数据库；PostgreSQL 上每次重新生成 / --keep keeps SQLite "
                   "stores only; on PostgreSQL the data is generated each time", err=True)

    def stop(signum, _frame):
        # SIGTERM (a `timeout` wrapper, a closed job) ends the run like Ctrl-C: the running
        # step's process group is killed and what was measured is saved.
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        results = run_benchmark(sizes, db=bench_db, postgres_server=postgres_server, steps=steps,
                                load_test=load_test, soak=soak, timeout=timeout,
                                checkpoint=save,
                                keep=keep_dir,
                                # Every event drawn: a run's milestones are minutes apart.
                                progress=progress_printer("zh", delay=0, interval=0))
    finally:
        signal.signal(signal.SIGTERM, previous)
    save(results)
    for target in filter(None, (json_path, markdown_path)):
        click.echo(f"结果已写入 / results written: {target}", err=True)
    from ..bench.report import goal_value

    for goal in results["goals"]:
        detail = ""
        show = goal_value(goal["metric"])  # seconds, MiB or a share, as BENCHMARKS.md
        if goal["verdict"] == "missed":
            detail = f" by {show(goal['over_by'])} ({goal['factor']:.1f}×)"
        elif goal["verdict"] == "met":
            detail = f", {show(goal['spare'])} to spare"
        if goal["value"] is not None:
            detail = f" ({show(goal['value'])})" + detail
        click.echo(f"{goal['text']} [{goal['backend'] or '—'}]: {goal['verdict']}{detail}")
    failed = [s for run in results["runs"] for s in run["steps"] if s["status"] in ("error", "timeout")]
    if failed:
        click.echo(f"{len(failed)} 个步骤出错或超时 / steps failed or timed out: "
                   + ", ".join(sorted({s['step'] for s in failed})), err=True)
