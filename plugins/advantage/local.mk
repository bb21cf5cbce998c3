# plugins/advantage
