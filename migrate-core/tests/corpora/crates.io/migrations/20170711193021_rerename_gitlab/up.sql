UPDATE badges SET badge_type = replace(badge_type, 'git-lab', 'gitlab');
