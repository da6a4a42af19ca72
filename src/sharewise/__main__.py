from sharewise.cli import main

main()
