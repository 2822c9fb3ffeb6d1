# shopbot: `make run` sets up and starts the shop on embedded defaults; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck check install migrate demo bench regen-migration clean

# Reinstall when the dependencies or the set of top-level packages change (editable installs
# only map the packages that existed when they were made).
$(STAMP): pyproject.toml $(wildcard */__init__.py)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/shopbot db upgrade
	$(BIN)/shopbot demo-data
	$(BIN)/shopbot serve

migrate: $(STAMP)
	$(BIN)/shopbot db upgrade

demo: $(STAMP)
	$(BIN)/shopbot demo-data

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/shopbot bench orders

# Until the first release the schema is one migration, regenerated from the models.
regen-migration: $(STAMP)
	rm -f storage/migrations/versions/0001_initial_schema.py /tmp/shopbot-regen-$$$$.db
	$(BIN)/python -c "from alembic import command; from storage.migrate import alembic_config; \
	command.revision(alembic_config('sqlite:////tmp/shopbot-regen-$$$$.db'), message='initial schema', autogenerate=True, rev_id='0001')"
	sed -i 's/astext_type=Text()/astext_type=sa.Text()/g; /^Create Date:/d' storage/migrations/versions/0001_initial_schema.py
	rm -f /tmp/shopbot-regen-$$$$.db

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
