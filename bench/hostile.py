#!/usr/bin/env python3
"""The attacker's half of the hostile-mix benchmark (bench/hostile.sh), standard library only.

For --seconds it runs, at once:
  (a) --wrong-rate token requests per second with wrong secrets, half for the victim client id
      and half for random client ids, each on a new connection;
  (b) --idle connections that send nothing, reopened whenever the server closes one;
  (c) one admin write per second to the victim's auth server (alternately a PATCH of its
      description and a new scope).
Attack traffic leaves from --source (default 127.0.0.2, another loopback address), so the
server sees it come from a different address than the valid load. Prints one JSON line.
"""

import argparse
import asyncio
import json
import random
import string
import time
import urllib.parse


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--admin", required=True)
    p.add_argument("--server-id", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--wrong-rate", type=float, default=200)
    p.add_argument("--idle", type=int, default=500)
    p.add_argument("--source", default="127.0.0.2")
    return p.parse_args()


async def request(host, port, source, method, path, headers, body, timeout=10.0):
    """One HTTP/1.1 request on a new connection; returns (status, seconds)."""
    start = time.monotonic()
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, local_addr=(source, 0)), timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
                 f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout)
        await asyncio.wait_for(reader.read(), timeout)
        status = int(status_line.split()[1]) if status_line else 0
    finally:
        writer.close()
    return status, time.monotonic() - start


async def wrong_secrets(args, stats, deadline):
    issuer = urllib.parse.urlsplit(args.issuer)
    path = issuer.path + "/oauth/token"
    interval = 1.0 / args.wrong_rate
    tasks = set()
    n = 0
    next_at = time.monotonic()
    while time.monotonic() < deadline:
        client_id = args.client_id if n % 2 == 0 else "".join(random.choices(string.ascii_lowercase, k=24))
        secret = "".join(random.choices(string.ascii_letters, k=32))
        body = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                       "client_secret": secret}).encode()
        n += 1

        async def one(body=body):
            try:
                status, took = await request(issuer.hostname, issuer.port, args.source, "POST", path,
                                             {"Content-Type": "application/x-www-form-urlencoded"}, body)
                stats["wrong_status"][str(status)] = stats["wrong_status"].get(str(status), 0) + 1
                stats["wrong_max_seconds"] = max(stats["wrong_max_seconds"], took)
            except Exception as e:  # a refused or reset connection is an outcome too
                key = type(e).__name__
                stats["wrong_status"][key] = stats["wrong_status"].get(key, 0) + 1

        task = asyncio.ensure_future(one())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    stats["wrong_sent"] = n
    if tasks:
        await asyncio.wait(tasks, timeout=15)


async def idle_connection(args, stats, deadline):
    base = urllib.parse.urlsplit(args.base)
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(base.hostname, base.port, local_addr=(args.source, 0))
        except Exception:
            stats["idle_refused"] += 1
            await asyncio.sleep(0.5)
            continue
        stats["idle_opened"] += 1
        try:
            remaining = deadline - time.monotonic()
            data = await asyncio.wait_for(reader.read(1), max(0.0, remaining))
            if data == b"":
                stats["idle_closed_by_server"] += 1
        except asyncio.TimeoutError:
            pass
        except Exception:
            stats["idle_closed_by_server"] += 1
        finally:
            writer.close()


async def admin_writes(args, stats, deadline):
    base = urllib.parse.urlsplit(args.base)
    headers = {"Authorization": f"Bearer {args.admin}", "Content-Type": "application/json"}
    n = 0
    while time.monotonic() < deadline:
        if n % 2 == 0:
            method, path = "PATCH", f"/v1/auth-servers/{args.server_id}"
            body = json.dumps({"description": f"write {n}"}).encode()
        else:
            method, path = "POST", f"/v1/auth-servers/{args.server_id}/scopes"
            body = json.dumps({"name": f"hostile-{n}-{random.randrange(10**9)}"}).encode()
        try:
            status, _ = await request(base.hostname, base.port, "127.0.0.1", method, path, headers, body)
            key = "admin_ok" if status < 300 else "admin_failed"
        except Exception:
            key = "admin_failed"
        stats[key] += 1
        n += 1
        await asyncio.sleep(1.0)


async def main():
    args = parse_args()
    stats = {"wrong_status": {}, "wrong_max_seconds": 0.0, "idle_opened": 0, "idle_refused": 0,
             "idle_closed_by_server": 0, "admin_ok": 0, "admin_failed": 0}
    deadline = time.monotonic() + args.seconds
    jobs = [wrong_secrets(args, stats, deadline), admin_writes(args, stats, deadline)]
    jobs += [idle_connection(args, stats, deadline) for _ in range(args.idle)]
    await asyncio.gather(*jobs)
    stats["wrong_max_seconds"] = round(stats["wrong_max_seconds"], 3)
    print(json.dumps(stats))


if __name__ == "__main__":
    asyncio.run(main())
