from strategy_docs.cli.app import main

main()
