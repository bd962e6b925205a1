"""Checklist 2.3: `launchtui backup media`, an inventory of every Cloudinary resource.

The checklist's snippet lists the first 500 image uploads and stops. This lists every
resource type (image, video, raw) of every delivery type (upload, private, authenticated),
every page, into `media_<cloud>_<stamp>.jsonl` plus its manifest (see
`launchtui.probes.backup_files`). How pages are fetched, rate limits waited out and runs
resumed is in `media_listing` and `media_inventory`; `--download` is `media_download`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from launchtui.actions import DEFAULT_MAX_WAIT_S, recheck
from launchtui.actions.media_download import DownloadDone, download_originals
from launchtui.actions.media_download import plural as _n
from launchtui.actions.media_inventory import LISTINGS, Completed, Inventory, StateError, read_state
from launchtui.actions.media_listing import STATUS_PAGE, UNKNOWN_RESET_WAIT_S, Lister, Stopped
from launchtui.checks.backups import format_age, format_size
from launchtui.core.actions import Action, ActionError, ActionEvent, Finished, Output, Plan
from launchtui.core.config import default_backup_dir
from launchtui.core.context import Context
from launchtui.core.files import partial_path
from launchtui.probes import cloudinary as probe
from launchtui.probes.backup_files import (
    MEDIA_NAME,
    manifest_path,
    media_download_dir,
    media_name,
    media_state_path,
    media_states,
    newest_media_inventory,
    read_manifest,
    stamp_time,
    utc_iso,
)
from launchtui.probes.cloudinary_config import (
    SHAPE,
    CloudinaryConfig,
    CloudinaryUrlError,
    config_from_context,
)

COMMAND = "launchtui backup media"
RESUME = f"{COMMAND} --resume"
API_KEYS_PAGE = "https://console.cloudinary.com/settings/api-keys"


def _after_wanted(ctx: Context, options: Mapping[str, Any]) -> bool:
    """An offsite copy or retention is configured (flags or profile)."""
    return bool(
        options.get("offsite") or ctx.settings.offsite or options.get("keep") or ctx.settings.keep
    )


# -- plan --------------------------------------------------------------------------------


def _config(ctx: Context) -> CloudinaryConfig:
    try:
        cfg = config_from_context(ctx)
    except CloudinaryUrlError as exc:
        raise ActionError(
            f"CLOUDINARY_URL cannot be used: {exc}. Copy it from the Cloudinary console → "
            f"Settings → API Keys ({API_KEYS_PAGE})."
        ) from None
    if cfg is None:
        raise ActionError(
            "CLOUDINARY_URL is not set, so there is no Cloudinary account to back up; set it "
            f"in the backend's variables or in --env-file, like {SHAPE}."
        )
    return cfg


def _api_trouble(cfg: CloudinaryConfig, answer: probe.ApiAnswer) -> str:
    host = cfg.api_host
    if answer.layer == "auth":
        return (
            f"Cloudinary rejected the API key/secret in CLOUDINARY_URL ({answer.status}), so "
            f"nothing can be listed. Copy them from the Cloudinary console → Settings → API "
            f"Keys ({API_KEYS_PAGE}) into CLOUDINARY_URL."
        )
    if answer.layer == "http":
        return (
            f"Cloudinary's Admin API at {host} {answer.reason}, so nothing can be listed; "
            f"check {STATUS_PAGE} and the cloud name in CLOUDINARY_URL, then run the backup again."
        )
    return (
        f"Cannot reach Cloudinary's Admin API at {host}: {answer.reason} ({answer.layer}), so "
        "nothing can be listed. Check this box's network and DNS, then run the backup again."
    )


def _resumable(directory: Path, cloud: str) -> tuple[Path | None, dict[str, Any] | None]:
    """The newest interrupted inventory of this cloud: its state path and state."""
    states = media_states(directory, cloud)
    if not states:
        return None, None
    try:
        state = read_state(states[0])
    except StateError as exc:
        raise ActionError(
            f"The interrupted inventory cannot be continued: {exc}. Run `{COMMAND}` without "
            "--resume to take a new one."
        ) from None
    if state["cloud_name"] != cloud:
        return None, None
    return states[0], state


def _unfinished_download(directory: Path, cloud: str) -> tuple[Path, dict[str, Any]] | None:
    """The newest complete inventory of this cloud, if its download did not finish."""
    newest = newest_media_inventory(directory)
    if newest is None:
        return None
    manifest, _ = read_manifest(newest)
    if not isinstance(manifest, dict) or manifest.get("cloud_name") != cloud:
        return None
    download = manifest.get("download")
    if manifest.get("complete") and isinstance(download, dict) and not download.get("complete"):
        return newest, manifest
    return None


def _look(directory: Path, cloud: str, resume: bool, download: bool) -> dict[str, Any]:
    if not resume:
        states = media_states(directory, cloud)
        return {"mode": "new", "interrupted": states[0].name if states else None}
    state_path, state = _resumable(directory, cloud)
    if state_path is not None and state is not None:
        return {"mode": "resume", "state_path": state_path, "state": state}
    if download and (found := _unfinished_download(directory, cloud)):
        return {"mode": "download", "final": found[0], "manifest": found[1]}
    return {"mode": "new", "nothing_to_resume": True}


def _refuse_a_long_wait(rate: probe.RateLimit, max_wait: float, then: str) -> None:
    """A spent allowance that resets past --max-wait: say so before anything is written."""
    now = dt.datetime.now(dt.UTC)
    wait = (rate.reset_at - now).total_seconds() if rate.reset_at else UNKNOWN_RESET_WAIT_S
    if wait <= max_wait:
        return
    when = f"{rate.reset_at:%H:%M:%S} UTC" if rate.reset_at else f"in about {format_age(wait)}"
    raise ActionError(
        f"Cloudinary's Admin API rate limit is spent until {when}, "
        f"{format_age(wait)} from now, longer than --max-wait ({format_age(max_wait)}), so "
        f"nothing was listed. Run `{then}` after {when}, or pass a longer --max-wait."
    )


async def _plan(ctx: Context, options: Mapping[str, Any]) -> Plan:
    cfg = _config(ctx)
    directory = Path(ctx.settings.backup_dir or default_backup_dir()).expanduser().absolute()
    download, resume = bool(options.get("download")), bool(options.get("resume"))
    wait_opt = options.get("max_wait")
    max_wait = float(DEFAULT_MAX_WAIT_S if wait_opt is None else wait_opt)
    answer = await probe.bounded(ctx, probe.ping, cfg, budget=probe.API_BUDGET_S)
    if not answer.ok and answer.layer != "quota":
        raise ActionError(_api_trouble(cfg, answer))
    look = await ctx.to_thread(_look, directory, cfg.cloud_name, resume, download)
    rate = answer.rate_limit
    steps = [f"Cloud {cfg.cloud_name} at {cfg.api_host}."]
    if rate.known:
        steps.append(
            f"Admin API: {rate.remaining} of {rate.allowed} requests left this hour "
            f"(resets {rate.reset_text()})."
        )
    mode = look["mode"]
    if mode != "download" and (answer.layer == "quota" or rate.remaining == 0):
        resumable = mode == "resume" or look.get("interrupted")
        _refuse_a_long_wait(rate, max_wait, RESUME if resumable else COMMAND)
        steps.append(
            f"The Admin API is rate limited until {rate.reset_text()}: the listing waits for "
            "the reset first."
        )
    if mode == "download":
        final = look["final"]
        summary = f"Finish downloading the originals listed in {final.name}."
        steps.append(f"Its listing is complete ({_n(look['manifest']['resources'], 'resource')}).")
    else:
        steps.append("Nine listings, every page of each (500 resources a page):")
        steps += [f"  {r}: upload, private, authenticated" for r in probe.RESOURCE_TYPES]
        if mode == "resume":
            state = look["state"]
            final = look["state_path"].with_name(state["file"])
            done = sum(1 for v in state["listings"].values() if v["done"])
            summary = f"Continue the interrupted inventory {final.name} of {cfg.cloud_name}."
            steps.append(
                f"Continues {final.name}: {_n(state['resources'], 'resource')} listed so far, "
                f"{done} of {len(LISTINGS)} listings done."
            )
        else:
            final = directory / media_name(cfg.cloud_name)
            summary = f"Inventory every Cloudinary resource of {cfg.cloud_name} into {final.name}."
            if look.get("interrupted"):
                steps.append(
                    f"An interrupted inventory ({look['interrupted']}) is left as it is; "
                    f"`{RESUME}` would continue it instead."
                )
            if look.get("nothing_to_resume"):
                steps.append("No interrupted inventory to continue, so a new one is taken.")
            steps.append(f"Writes {final.name} and its manifest in {directory}.")
    if download:
        steps.append(
            f"Downloads the originals to {media_download_dir(final).name}/ beside it, each "
            "checked by its size; files already complete are skipped."
        )
    if _after_wanted(ctx, options):
        from launchtui.actions.backup_after import plan_steps

        # Validated now, so a malformed --offsite stops before an hour of listing.
        steps += plan_steps(ctx, options, "media")
    data = {**look, "cfg": cfg, "final": final, "directory": directory, "max_wait": max_wait}
    return Plan(
        summary,
        steps=tuple(steps),
        data=data,
        confirm_label="Take the inventory",
        ask=False,  # a new inventory (or a continued one) changes nothing that exists
    )


# -- execute -----------------------------------------------------------------------------


def _stopped_message(inv: Inventory, stopped: Stopped) -> str:
    return (
        f"{stopped.cause}, so the inventory stopped after {_n(inv.resources, 'resource')} "
        f"({inv.listings_done} of {len(LISTINGS)} listings complete); what is listed is kept in "
        f"{inv.partial.name}. {stopped.advice} `{RESUME}` continues it from where it stopped."
    )


def _free_name(final: Path) -> Path:
    """The planned name, or the next second's when a run of the same second has it."""
    m = MEDIA_NAME.match(final.name)
    assert m is not None, final.name  # the plan named it with media_name()
    when = stamp_time(m["stamp"])
    for i in range(10):
        candidate = final.with_name(media_name(m["label"], when + dt.timedelta(seconds=i)))
        taken = (candidate, partial_path(candidate), media_state_path(candidate))
        if not any(p.exists() for p in taken):
            return candidate
    raise ActionError(f"{final.name} and the next names are taken; run the backup again.")


def _open(data: Mapping[str, Any], cfg: CloudinaryConfig) -> Inventory:
    directory: Path = data["directory"]
    try:
        if data["mode"] == "resume":
            return Inventory.reopen(data["state_path"])
        if not directory.exists():
            directory.mkdir(parents=True, mode=0o700)
        return Inventory.create(_free_name(data["final"]), cfg.cloud_name, utc_iso())
    except StateError as exc:
        raise ActionError(
            f"The interrupted inventory cannot be continued: {exc}. Run `{COMMAND}` without "
            "--resume to take a new one."
        ) from None
    except OSError as exc:
        raise ActionError(
            f"Cannot write the inventory in {directory}: {exc.strerror or exc}. Fix the folder "
            "(or point --backup-dir elsewhere) and run the backup again."
        ) from None


@dataclass(frozen=True)
class Listed:
    """A finished inventory, and what it took (for the summary and the JSON ending)."""

    done: Completed
    requests: int = 0
    waited: float = 0.0


async def _inventory(
    ctx: Context, data: Mapping[str, Any], cfg: CloudinaryConfig
) -> AsyncIterator[ActionEvent | Listed]:
    """List everything; ends with the Listed inventory, or a failed Finished."""
    inv = await ctx.to_thread(_open, data, cfg)
    try:
        lister = Lister(cfg, inv, max_wait=data["max_wait"])
        try:
            async for event in lister.run():
                yield event
        except OSError as exc:
            raise ActionError(
                f"Writing {inv.partial.name} failed: {exc.strerror or exc}; the pages listed "
                f"before are kept. Free the space (or fix the folder), then run `{RESUME}`."
            ) from None
        if lister.stopped is not None:
            why = _stopped_message(inv, lister.stopped)
            reset = lister.stopped.reset_at
            fields = {
                "resumable": True,
                "state": str(inv.state_path),
                "resources": inv.resources,
                "listings_done": inv.listings_done,
                "reset_at": reset.strftime("%Y-%m-%dT%H:%M:%SZ") if reset else None,
            }
            yield Finished(False, why, fields, error=why)
            return
        if inv.duplicates:
            yield Output(
                f"{_n(inv.duplicates, 'resource')} listed twice (a page asked again, or a "
                "resource that moved between pages) written once."
            )
        if inv.without_id:
            yield Output(f"{_n(inv.without_id, 'listed item')} without a public_id left out.")
        done = await ctx.to_thread(inv.finish)
        yield Listed(done, lister.requests, lister.waited)
    finally:
        inv.close()


def _from_manifest(final: Path, manifest: dict[str, Any]) -> Completed:
    return Completed(
        final,
        manifest["bytes"],
        manifest["sha256"],
        manifest["resources"],
        dict(manifest["by_type"]),
        dict(manifest.get("bytes_by_type") or {}),
        manifest,
    )


def _listed_words(listed: Listed, cloud: str) -> str:
    done = listed.done
    took = [format_size(sum(done.bytes_by_type.values())) + " of media"]
    if "pages" in done.manifest:
        took.append(_n(done.manifest["pages"], "page"))
    if listed.waited:
        took.append(f"{listed.waited:.0f} s waiting out rate limits")
    return (
        f"Listed {_n(done.resources, 'resource')} of {cloud} ({', '.join(took)}) into "
        f"{done.path.name} ({format_size(done.bytes)}, sha256 {done.sha256[:12]}…)."
    )


def _fields(listed: Listed) -> dict[str, Any]:
    done = listed.done
    fields: dict[str, Any] = {
        "path": str(done.path),
        "bytes": done.bytes,
        "sha256": done.sha256,
        "resources": done.resources,
        "by_type": done.by_type,
        "bytes_by_type": done.bytes_by_type,
        "manifest": str(manifest_path(done.path)),
    }
    for key in ("pages", "resumed"):
        if key in done.manifest:
            fields[key] = done.manifest[key]
    if listed.requests:
        fields["requests"] = listed.requests
    return fields


async def _execute(
    ctx: Context, plan: Plan, options: Mapping[str, Any]
) -> AsyncIterator[ActionEvent]:
    data = plan.data
    cfg: CloudinaryConfig = data["cfg"]
    if data["mode"] == "download":
        listed = Listed(_from_manifest(data["final"], dict(data["manifest"])))
    else:
        found: Listed | None = None
        async for event in _inventory(ctx, data, cfg):
            if isinstance(event, Listed):
                found = event
            else:
                yield event
                if isinstance(event, Finished):
                    return
        assert found is not None
        listed = found
    summary = _listed_words(listed, cfg.cloud_name)
    for key, count in sorted(listed.done.by_type.items()):
        size = listed.done.bytes_by_type.get(key)
        yield Output(
            f"  {key}: {_n(count, 'resource')}" + (f", {format_size(size)}" if size else "")
        )
    if options.get("download") or _after_wanted(ctx, options):
        yield Output(summary)  # the final summary comes after what follows; say this now
    fields, ok = _fields(listed), True
    if options.get("download"):
        async for item in download_originals(ctx, cfg, listed.done):
            if isinstance(item, DownloadDone):
                ok, said = item.words()
                summary = f"{summary} {said}" if ok else said
                fields.update(item.fields())
            else:
                yield item
    if _after_wanted(ctx, options):
        from launchtui.actions.backup_after import AfterDone, after_backup

        async for ev in after_backup(ctx, options, "media", listed.done.path):
            if isinstance(ev, AfterDone):
                fields.update(ev.fields)
                summary = f"{summary} {ev.summary}".strip()
                ok = ok and ev.ok
            else:
                yield ev
    checks = await recheck(ctx, ["backup.media"])
    yield Finished(ok, summary, fields, error=None if ok else summary, checks=checks)


ACTION = Action(
    id="backup-media",
    title="Back up the Cloudinary inventory",
    section="2.3",
    fixes=("backup.media",),
    plan=_plan,
    execute=_execute,
    help="List every Cloudinary resource (image, video, raw; upload, private, authenticated), "
    "every page, into a JSONL inventory with its manifest; --download fetches the originals.",
)
