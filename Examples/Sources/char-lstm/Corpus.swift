/// Public-domain nursery rhymes (Jane Taylor, 1806; Sarah Josepha Hale, 1830; traditional).
let corpus = """
twinkle, twinkle, little star, how i wonder what you are! up above the world so high, like a diamond in the sky. \
twinkle, twinkle, little star, how i wonder what you are! when the blazing sun is gone, when he nothing shines upon, \
then you show your little light, twinkle, twinkle, all the night. twinkle, twinkle, little star, how i wonder what you are! \
mary had a little lamb, its fleece was white as snow; and everywhere that mary went the lamb was sure to go. \
it followed her to school one day, which was against the rule; it made the children laugh and play to see a lamb at school. \
humpty dumpty sat on a wall, humpty dumpty had a great fall; all the king's horses and all the king's men \
couldn't put humpty together again. hickory, dickory, dock, the mouse ran up the clock; the clock struck one, \
the mouse ran down, hickory, dickory, dock. baa, baa, black sheep, have you any wool? yes sir, yes sir, three bags full; \
one for the master, one for the dame, and one for the little boy who lives down the lane.
"""
