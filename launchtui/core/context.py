"""What a check sees: settings, the environments, results so far, and a thread pool."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from launchtui.core.config import Settings, backend_env, frontend_env
from launchtui.core.model import Result
from launchtui.core.secrets import Redactor, Secret

T = TypeVar("T")

# Enough threads that every live probe of a sweep runs at once: the default executor
# has only min(32, cores + 4) workers, which would queue probes on a 2-core box.
_PROBE_THREADS = 32


@dataclass
class Context:
    """The inputs of one run, shared by all its checks."""

    settings: Settings
    env: Mapping[str, str]
    frontend_env: Mapping[str, str]
    redactor: Redactor = field(default_factory=Redactor)
    results: dict[str, Result] = field(default_factory=dict)
    _executor: concurrent.futures.ThreadPoolExecutor | None = field(default=None, repr=False)
    _shared: dict[str, asyncio.Future[Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        settings: Settings,
        environ: Mapping[str, str] | None = None,
    ) -> Context:
        """Read the env files and learn every secret in them."""
        env = backend_env(settings, environ)
        fenv = frontend_env(settings, environ)
        redactor = Redactor()
        redactor.add_env(env)
        redactor.add_env(fenv)
        return cls(settings=settings, env=env, frontend_env=fenv, redactor=redactor)

    # -- inputs --------------------------------------------------------------

    def get(self, name: str) -> str | None:
        """A backend variable, stripped; None when unset or blank."""
        value = self.env.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def secret(self, name: str) -> Secret | None:
        """A backend variable as a Secret, registered with the redactor."""
        value = self.get(name)
        if value is None:
            return None
        self.redactor.add(value)
        return Secret(value)

    def frontend(self, name: str) -> str | None:
        value = self.frontend_env.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    @property
    def backend_dir(self) -> Path | None:
        return self.settings.backend_dir

    @property
    def backend_url(self) -> str | None:
        """The deployed backend: `--backend-url`, else the frontend's `VITE_API_URL`."""
        return self.settings.backend_url or self.frontend("VITE_API_URL")

    @property
    def frontend_url(self) -> str | None:
        return self.settings.frontend_url

    # -- results of other checks --------------------------------------------

    def result(self, check_id: str) -> Result | None:
        return self.results.get(check_id)

    def fact(self, check_id: str, key: str, default: Any = None) -> Any:
        r = self.results.get(check_id)
        return r.facts.get(key, default) if r is not None else default

    # -- running blocking work ----------------------------------------------

    async def to_thread(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run blocking I/O off the event loop, in the run's own probe pool."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=_PROBE_THREADS, thread_name_prefix="launchtui-probe"
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def shared(self, key: str, fn: Callable[[], T]) -> T:
        """Compute a value once per run (in a thread) and share it between checks."""
        fut = self._shared.get(key)
        if fut is None:
            fut = asyncio.ensure_future(self.to_thread(fn))
            self._shared[key] = fut
        return await asyncio.shield(fut)

    def close(self) -> None:
        if self._executor is not None:
            # Probes carry their own timeouts; do not block the caller on stragglers.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
