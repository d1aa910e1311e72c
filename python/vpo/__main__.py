from vpo.cli.main import main

main()
