from inspect_app.cli import main

raise SystemExit(main())
