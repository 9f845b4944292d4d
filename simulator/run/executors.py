"""Where chunks run: here, in a local process pool, or on a Dask cluster. One interface.

Each executor keeps a bounded number of chunks in flight (so a ten-million-incident run
never queues ten million results) and yields results as they finish. Order does not
matter: summaries merge exactly. A lost worker is the engine's business (the process
pool is rebuilt and the lost chunks resubmitted; Dask reschedules them itself); a chunk
that fails in the model is reported with its replications, never dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from simulator.errors import SimulationError

from .runner import ChunkResult, Job, run_chunk
from .settings import EXECUTORS

__all__ = ["ChunkFailed", "SerialExecutor", "ProcessExecutor", "DaskExecutor", "make_executor", "EXECUTORS"]

IN_FLIGHT_PER_WORKER = 4
POOL_RESTARTS = 3


class ChunkFailed(SimulationError):
    """A chunk of replications could not be simulated."""

    def __init__(self, first: int, count: int, reason: BaseException | str):
        self.first, self.count = first, count
        what = f"replication {first}" if count == 1 else f"replications {first}-{first + count - 1}"
        detail = reason if isinstance(reason, str) else f"{type(reason).__name__}: {reason}"
        super().__init__(f"{what} failed and were not merged: {detail}")


class SerialExecutor:
    """In this process, one chunk after another (`--jobs 1`)."""

    workers = 1
    name = "local, 1 process"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def run(self, job: Job, chunks: list[tuple[int, int]]) -> Iterator[ChunkResult]:
        for first, count in chunks:
            try:
                result = run_chunk(job, first, count)
            except SimulationError:
                raise
            except Exception as exc:  # noqa: BLE001 - reported with the chunk it broke
                raise ChunkFailed(first, count, exc) from exc
            yield result


class ProcessExecutor:
    """A local process pool (`--jobs N`), started on first use and kept until the executor is
    left, so a sweep of many runs (sensitivity, optimize) starts its workers once. Each task
    carries its job (a few kilobytes); workers compile its plans once per job."""

    def __init__(self, jobs: int):
        self.workers = jobs
        self.name = f"local, {jobs} processes"
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._shutdown()
        return False

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run(self, job: Job, chunks: list[tuple[int, int]]) -> Iterator[ChunkResult]:
        pending = deque(chunks)
        restarts = 0
        while pending:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.workers)
            pool = self._pool
            inflight: dict = {}
            broken = False
            try:
                while pending or inflight:
                    while pending and len(inflight) < self.workers * IN_FLIGHT_PER_WORKER:
                        chunk = pending.popleft()
                        inflight[pool.submit(run_chunk, job, *chunk)] = chunk
                    done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    for future in done:
                        chunk = inflight.pop(future)
                        try:
                            result = future.result()
                        except BrokenProcessPool:
                            pending.appendleft(chunk)
                            broken = True
                            continue
                        except SimulationError:
                            raise
                        except Exception as exc:  # noqa: BLE001 - reported with the chunk it broke
                            raise ChunkFailed(*chunk, exc) from exc
                        yield result
                    if broken:
                        pending.extendleft(reversed(list(inflight.values())))
                        inflight.clear()
                        break
            finally:
                for future in inflight:
                    future.cancel()
                if broken or inflight:
                    self._shutdown()  # a dead worker, or a run abandoned half-way: start afresh next time
            if broken:
                restarts += 1
                if restarts > POOL_RESTARTS:
                    first, count = pending[0]
                    raise ChunkFailed(first, count, f"worker processes died {restarts} times")


class DaskExecutor:
    """Dask distributed: a running scheduler (`--scheduler tcp://HOST:8786`) or a LocalCluster
    started for the run (`--executor dask`). Workers need warroom installed."""

    def __init__(self, scheduler: str | None = None, workers: int = 2):
        self.scheduler = scheduler
        self.workers = workers
        self.cluster = None
        self.client = None
        self.name = f"dask, {scheduler}" if scheduler else f"dask LocalCluster, {workers} workers"

    def __enter__(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - distributed is a dependency
            raise SimulationError("the Dask executor needs the 'distributed' package") from exc
        try:
            if self.scheduler:
                self.client = Client(self.scheduler, timeout="10s", set_as_default=False)
            else:
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address="127.0.0.1:0")
                self.client = Client(self.cluster, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            self.__exit__()
            raise SimulationError(f"cannot reach the Dask scheduler at {self.scheduler}: {exc}") from exc
        self.workers = max(sum(self.client.nthreads().values()), 1)
        return self

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None
        return False

    def run(self, job: Job, chunks: list[tuple[int, int]]) -> Iterator[ChunkResult]:
        from distributed import as_completed

        client = self.client
        shared = client.scatter(job, broadcast=True, hash=False)
        pending = deque(chunks)
        which: dict[str, tuple[int, int]] = {}
        live: dict = {}
        finished = as_completed(loop=client.loop, raise_errors=False)

        def submit():
            chunk = pending.popleft()
            future = client.submit(run_chunk, shared, *chunk, pure=False,
                                   key=f"warroom-{job.token}-{chunk[0]}")
            which[future.key] = chunk
            live[future.key] = future
            finished.add(future)

        for _ in range(min(len(pending), self.workers * IN_FLIGHT_PER_WORKER)):
            submit()
        try:
            for future in finished:
                chunk = which.pop(future.key)
                live.pop(future.key, None)
                if future.status != "finished":
                    reason = future.exception()
                    if isinstance(reason, SimulationError):
                        raise reason
                    raise ChunkFailed(*chunk, reason)
                result = future.result()
                future.release()
                if pending:
                    submit()
                yield result
        finally:
            for future in live.values():
                future.cancel()


def make_executor(executor: str = "local", jobs: int = 1, scheduler: str | None = None):
    """The executor the user asked for: `local` with `jobs` processes, or `dask` (a LocalCluster
    of `jobs` workers, or the cluster at `scheduler`)."""
    if scheduler:
        executor = "dask"
    if executor not in EXECUTORS:
        raise SimulationError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if jobs < 1:
        raise SimulationError(f"--jobs must be at least 1, got {jobs}")
    if executor == "dask":
        return DaskExecutor(scheduler, workers=jobs)
    return SerialExecutor() if jobs == 1 else ProcessExecutor(jobs)
