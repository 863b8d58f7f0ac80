"""会议大屏 Meeting screen (``/meeting``): the weekly meeting's one full screen (layout only;
the figures are :func:`tracker.dashboard.views.meeting.board`).

Large type for a 1920×1080 screen read from across the room: the district's coverage rate,
the uncovered and overdue firms, the deadline's verdict, the 13 chains as red / amber /
green tiles. The sidebar starts collapsed. The board refreshes itself every
:data:`tracker.dashboard.views.meeting.REFRESH_SECONDS` seconds (a Streamlit fragment
rerun: new figures once the data changed, without reloading the page).
"""

from datetime import datetime
from html import escape

import streamlit as st

from tracker.dashboard import run_page
from tracker.dashboard.views import fmt_int, fmt_pct
from tracker.dashboard.views.meeting import AMBER_BAND, LIGHT_COLOURS, REFRESH_SECONDS, board

st.set_page_config(initial_sidebar_state="collapsed", layout="wide")

# Room-sized type; tiles that wrap onto as many rows as the width allows (never sideways).
STYLE = """
<style>
.block-container {padding-top: 3.8rem; padding-bottom: 0.5rem; max-width: 100%;}
.rw-head {display: flex; justify-content: space-between; align-items: baseline;
          flex-wrap: wrap; gap: 0 2rem;}
.rw-head h1 {font-size: 2.6rem; margin: 0; padding: 0;}
.rw-head .rw-when {font-size: 1.4rem; color: #455a64;}
.rw-figures {display: grid; grid-template-columns: 1.3fr 1fr 1fr; gap: 1.2rem; margin: 0.8rem 0;}
.rw-figure {background: #eceff1; border-radius: 12px; padding: 0.6rem 1.4rem; min-width: 0;}
.rw-figure .rw-label {font-size: 1.7rem; color: #37474f;}
.rw-figure .rw-value {font-size: 5.2rem; font-weight: 700; line-height: 1.1; color: #102027;}
.rw-figure .rw-sub {font-size: 1.3rem; color: #455a64;}
.rw-deadline {font-size: 1.65rem; line-height: 1.45; margin: 0.3rem 0 0.8rem 0;
              border-left: 10px solid #b71c1c; padding-left: 1rem;}
.rw-deadline p {margin: 0.1rem 0; font-size: 1.65rem;}
.rw-chains-title {font-size: 1.5rem; color: #37474f; margin-bottom: 0.4rem;}
.rw-chains {display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr));
            gap: 0.7rem;}
.rw-chain {border-radius: 10px; color: white; padding: 0.45rem 0.9rem; min-width: 0;}
.rw-chain .rw-name {font-size: 1.6rem; font-weight: 600; line-height: 1.25;
                    overflow-wrap: anywhere;}
.rw-chain .rw-rate {font-size: 2.6rem; font-weight: 700; line-height: 1.1;}
.rw-chain .rw-light {font-size: 1.3rem; float: right; margin-top: 0.9rem;}
.rw-chain .rw-line {font-size: 1.25rem;}
</style>
"""


def figure(label: str, value: str, sub: str, key: str) -> str:
    return (f'<div class="rw-figure" data-testid="meeting-{key}"><div class="rw-label">'
            f'{escape(label)}</div><div class="rw-value">{escape(value)}</div>'
            f'<div class="rw-sub">{escape(sub)}</div></div>')


def tile(ctx, chain) -> str:
    return (f'<div class="rw-chain" data-testid="meeting-chain" data-light="{chain.light}" '
            f'style="background:{LIGHT_COLOURS[chain.light]}">'
            f'<div class="rw-name">{escape(chain.name)}</div>'
            f'<span class="rw-light">{escape(ctx.t(f"meeting.light_{chain.light}"))}</span>'
            f'<div class="rw-rate">{escape(fmt_pct(chain.rate))}</div>'
            f'<div class="rw-line">{escape(ctx.t("meeting.chain_line", firms=fmt_int(chain.firms), uncovered=fmt_int(chain.uncovered)))}</div>'
            f'</div>')


def body(ctx):
    st.html(STYLE)

    @st.fragment(run_every=REFRESH_SECONDS)
    def screen():
        b = board(ctx.engine, ctx.as_of, ctx.scope, ctx.lang)
        when = ctx.t("meeting.updated", time=datetime.now().strftime("%H:%M"),
                     minutes=REFRESH_SECONDS // 60)
        head = (f'<div class="rw-head"><h1>{escape(ctx.t("meeting.title"))}</h1>'
                f'<div class="rw-when">{escape(ctx.t("meeting.as_of", day=b.as_of.isoformat()))}'
                f' · {escape(when)}</div></div>')
        if not b.has_data:
            st.html(head)
            st.info(ctx.t("meeting.empty"))
            return
        c = b.counts
        figures = "".join([
            figure(ctx.t("meeting.rate"), fmt_pct(c.coverage_rate),
                   ctx.t("meeting.rate_sub", covered=fmt_int(c.covered), firms=fmt_int(c.firms),
                         target=fmt_pct(b.target_rate)), "rate"),
            figure(ctx.t("meeting.uncovered"), fmt_int(c.uncovered),
                   ctx.t("meeting.uncovered_sub", short=fmt_int(c.gap_to(b.target_rate))),
                   "uncovered"),
            figure(ctx.t("meeting.overdue"), fmt_int(b.overdue),
                   ctx.t("meeting.overdue_sub", days=b.overdue_days), "overdue"),
        ])
        deadline = "".join(f"<p>{escape(line)}</p>" for line in b.deadline_lines)
        lights = b.lights
        chains = "".join(tile(ctx, chain) for chain in b.chains)
        st.html(
            head + f'<div class="rw-figures">{figures}</div>'
            f'<div class="rw-deadline" data-testid="meeting-deadline">{deadline}</div>'
            f'<div class="rw-chains-title">{escape(ctx.t("meeting.chains", band=f"{AMBER_BAND * 100:g}"))}'
            f' — {escape(ctx.t("meeting.lights", **lights))}</div>'
            f'<div class="rw-chains">{chains}</div>')

    screen()


run_page(body)
