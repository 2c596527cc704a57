"""The benchmark's steps that run inside Django, one per command, answering in JSON on the last line
of stdout: `python -m bench.cli plan|profile|move|storm-setup|storm-check` (bench/run.py runs them
with the benchmark's settings; storm-check reads the clients' results from stdin)."""

import argparse
import json
import sys

import django


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.cli")
    parser.add_argument("command", choices=["plan", "profile", "move", "storm-setup", "storm-check"])
    parser.add_argument("--sessions", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    django.setup()
    from django.conf import settings

    from . import mix, probe

    if args.command == "plan":
        cookies = mix.sessions_create(mix.mix_users(args.sessions))
        out = {
            "cookies": [f"{settings.SESSION_COOKIE_NAME}={key}" for key in cookies],
            "signed_in": mix.plan(signed_in=True),
            "anonymous": mix.plan(signed_in=False),
        }
    elif args.command == "profile":
        out = probe.profile_pages()
    elif args.command == "move":
        out = probe.stage_move(timeout=args.seconds)
    elif args.command == "storm-setup":
        out = probe.storm_setup(sessions=args.sessions, seconds=args.seconds)
    else:
        given = json.load(sys.stdin)
        out = probe.storm_check(consultation=given["consultation"], clients=given["clients"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
