"""convmine's command line (installed as the ``convmine.cli`` package)."""
