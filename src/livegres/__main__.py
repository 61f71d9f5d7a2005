from livegres.cli import main

raise SystemExit(main())
