#!/bin/sh
# One release step, run by docker-compose's `migrate` service before web, worker and beat start:
# apply migrations, refresh the static files nginx serves, and load the demo park on request.
set -eu

python manage.py migrate --noinput
# --clear: files removed or renamed in this release must not linger in the shared volume.
python manage.py collectstatic --noinput --clear -v 0

case "${SEEDBED_DEMO:-false}" in
  true | True | TRUE | 1 | yes)
    python manage.py seed_demo
    ;;
esac
