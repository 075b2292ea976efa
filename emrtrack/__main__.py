from emrtrack.cli import main

main()
