from charter.cli.main import main

raise SystemExit(main())
