from ops_console.cli import main

main()
