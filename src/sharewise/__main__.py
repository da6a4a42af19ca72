from sharewise.cli import program

program()
