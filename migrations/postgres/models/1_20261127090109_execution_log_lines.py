from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    return """
        CREATE TABLE IF NOT EXISTS "execution_log_lines" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMPTZ NOT NULL,
    "level" VARCHAR(10) NOT NULL,
    "message" TEXT NOT NULL,
    "step" INT,
    "execution_id" UUID NOT NULL REFERENCES "task_executions" ("id") ON DELETE CASCADE,
    "workspace_id" UUID NOT NULL REFERENCES "workspaces" ("id") ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS "idx_execution_l_executi_ea59e3" ON "execution_log_lines" ("execution_id", "id");
COMMENT ON TABLE "execution_log_lines" IS 'One line an executor reported through `ctx.log`: kept, and streamed to `executionLog` subscribers.';
        ALTER TABLE "task_executions" DROP COLUMN "log";"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """
        ALTER TABLE "task_executions" ADD "log" JSONB NOT NULL;
        DROP TABLE IF EXISTS "execution_log_lines";"""


MODELS_STATE = (
    "eJztXWlz4jga/isqPvVUZVJpcvWkt7aKEDrNDoEsId2zM0w5xgjwxkgeH0kzs/PfV5LvEw"
    "swMW59SWxJr2yeV9d7+q/GEk+hZh63dPVnuGpcgb8aSF5CchGrOQINWdeDclpgyRONNZV1"
    "VXqGK1YoT0zLkBWLlM9kzYSkaApNxVB1S8WItm4h0LrvAkLwEWCkrYBqmeDhc+vH5vkFWM"
    "jmAqgmqdWtY/CkG3CmfnuiJdYCAt2eaKoCTEs2LIBnrIz0cwRm2ABT1dQ1eXVM32KKFfIa"
    "Kprv64E2Uv+woWThOSRtDPLY335rvGLj2dRlBdIWDNfffydXKprCb9Ckbeit/izNVKhNI+"
    "irU0rDyiVrpbOyx8fuzSfWkv7CiaRgzV6ioLW+shYY+c1tW50eUxpaN4cIGrIFpyG+IFvT"
    "XBZ6Rc7PIAWWYUP/VadBwRTOZFuj3G38Y2YjhTIVsCfRP2f/dF8t1EyS+oOR9NAZSVIjMR"
    "joK8TY5RYpGNGBpCKLAvXX306/ASCstEEf0P7cGr47vfiBQYBNa26wSgZX429GKFuyQ8pA"
    "D1Bm/xM4txeykY6z1z6GNHnRTTD2CgKQgxnjwecBVAKkjaX8TdIgmlsLcvv+5CQH4y+tIY"
    "OZtGI4YzLFnbnfd6uaTh3FO8CXTBWJTjAejMM0u8F5/VjeG8oXZwVAvjjLxJhWRSF2Fiwe"
    "gAOKOg7jiyKj+CJ7EF/EATYVTPtIAPyvh0E/HeCAIgbwVFUs8D+gqaZVFtChVXliq5qlIv"
    "OYPu8tFmaKEO15aZp/aGGY3921folzoN0bXMdXcNrBdYwdigEpZJJsJVlyQ2osdQnT2RKl"
    "jLPGJT32Lg5xJpAfOB2QA467xOWwZtS96zyMWnf3Ef7ctEYdWtNkpatY6bv4rPE7AV+7o8"
    "+A3oJfB/1OnI1+u9GvDfpOsm1hCeFXSZ6GVmOv1EMtwnVNNi3JNjfie5x2B5x3X7kqjD8Q"
    "RnuY5HLagC/4eSM+RykFl6vMZV8ykvgEnTjdLkWe6rJ3jYRDhcjZc6qAE5FAoyB/wgZU54"
    "gI9wzqLnkZGSlp4o2rCfga7uswwQ1Kg+ltyK++/J0YXwQF8tuh5RypWw/t1k2nwQCfyMrz"
    "q2xMpQjytAY3cazEb5usWjaX8RIZyXOGEP0p9MU9TYxhqTNHs5LU0nh1R7l6GrdVUUUNmK"
    "kaBDIChGWKzQ6VuoGntgKn4J0MSGMIkbnA1g8fmU5lsrKgSY63LxCoiOlKvCcC0yLDDdiE"
    "+wZ40mVr8ZSipyn/eSlqGqGRERqZiqxSUVG2WUgj08zRyDSTGhnyRAsiywGKA+c4XQ3xLk"
    "UDZqp/QomtU0m0u8jKUCBEiGJQ083rAKGe05f4sfn+7PLsw+nF2QfShL2oX3KZA363P4qr"
    "vciSzqX0ctvXc9wWHLi5Ize5VAhNy3eoafGPXpySWZxOSGax6SREXiHyHq7Im7pE7ADhkW"
    "w+d8L91RTl+PJYJcWCj38Pz3sqgo0UBUOizVGeoiH4tRqeSxppX1DlMEAQ0OaBEgAbwIA6"
    "NsiIIBK+ge35Ajwp1rdj0vPTFXPbOCKtp0TiJ5vykrbC4AmGXvcJmPaEPmUCDTOpddjPI9"
    "crHn6LzisyTH7n0kVcq/NMgSJ150gRJNyRW11juiNF/NRsnp5eNk9OLz6cn11enn848cWJ"
    "ZFWeXHHdvaWiReSs5cka2ToK/gNxbQ/CB3LwLWST0OAL1HhkSp+glkJlIZEyR6CMi5NLaJ"
    "pk/0kCPILfMpatEEktIM6bLZ1fRpGJkvCV8CdLb9C/9ZrHHShiyicL6jxqJ7f5RgqnihlL"
    "d61vEmKxEIurD2yOWCyEtrKEttTRLJQPB29vH9jWBNtoeueeQlKk4niTozyhGLuNJfdYU9"
    "gK77anUqYMXuFkgfEzeIewpc5URabtjojAuqSsNo6Agpc6QZBagYkgO5NVzTYgoK0VeOQK"
    "tj+kGd/LekwR0Tcyb0LmA9LwN3IukS2boYXIUZEUW3CpW361+6q03m3JJzgLI/6ujfi8xu"
    "UaG5XPi8hR59ly1HlCjjKgouoqRClKiGyEI0QbwVy1830M5WIw5+GcNN3bk/9ChQvmEIkA"
    "uRDIEzxd8agEvPa1WCr2rQ/Q5ZWG5ZQtMDuWJURSjWAW+tjaBLMEJ5vkCtNB9jIhKcT0NR"
    "71/mZD49+PncfODScDGg/tz52bx17n5gr4l2Pk9HUFnP9j9NDp33T7t6SNc8FKRux2NEaf"
    "Wl3WgfN/jNqtfrvTY0X+ZfxY+1YhYws4tTVyhJ1hg9dWkCAWkQxVthrERRJObqeQC35Xmd"
    "8m9YLl53OITPC3yvx15yKPu26YZH/OuidlHfp3bDlh4ZfQMNJ2wuxzfpSqDsLUvg/7ZE7o"
    "5A2glHXIzBzPKZTCJJgc2MI/Ohvq+vpH2/p0Q65HKQXXq8L1lGOB+/YhjbZsPnMaqEMkW1"
    "gQKraG7sjm71hseC3+ESqBqfCjEOEFbw5uCeEFIXvutvgGPR3kkrAe3MiSGIGWvALoP/Z6"
    "jcQ+tgNgR2439UQ1tHNnQPo2DikM9RQvFI8b2a4n9BdxRGAQhrFsl3TuskAHmmxBsQ0DIp"
    "pZgTD8I4Av0FgBR0IEykJGcwhIjxi8GirNyiAD5iX2QkjSYy7KeMj6LJzqFC51bEGkrGjK"
    "0kRCzjWuKJFKz9skUcEGEJsyyTrdUDF5+dXa3kPiQrISfrOggWSNDtOYj0zUflDEgSaoXk"
    "DZsCbkpVid8KJ5Wy8a1dL43Gg8gloYx/fgfBB+swTO2brJGJlQTvIrJ4MVMnV8r7d9Rzqo"
    "8nhvXA8HXx86Q6n1OBrctUbdQf8KJMvGqHXfldqtXu8KeFdjdPu5J7XaDk1wPUbked1P3b"
    "bbW/hujIadu27/pjO8At7VGN20Ri2JMGbodRYroFT3g+FIuu30O0O320RRfBsvMm9PmwWm"
    "7Wkzc9bSqkP3mdhg0Nx7nhD3nidE62urOyJX0rDzpdv5SkZJtGCMivlYdPvS/XBwO+w8PF"
    "yB0A0dAqPhf9hDvasxag/u7nudEfOx8C7L88Qoa7BI5Jxl8q3xCUKxym/gbxY66yZsT+vn"
    "aph8f3bV95xTtTcgk/GErsnDuxZZvd+P0efu7ecr0Byjx+Etc2A6LTgbHAvVafPywjdO0Z"
    "s8u9QDeWgvL15tm1022csePc3uWv3HVo/zzN7wttQ2WSG9yzFy+roCoT7f3EtMNk11joic"
    "ZmFpglPMSdcYa1BGGU4HSeoYbyaEvCzm+CX7XaWuB4NeZJW67saXoce76w5hBOMDaaQ6qp"
    "vkBDHgH7ZKhDFpYS9lRBb6FxW+cvIgsw/BCQ5OCG/J78e7SjHSjmE5aSeN+py+9pHd06Ag"
    "kVH+J0Z86T3jhHvc5x9H7bIUc2V/fIX8cFfVXjSeIqCoRjhFrb4NEtaKcwz+GJlYawqtNX"
    "FLCgfgKaQC9EKgBwIZefZMnfMsPWm01ViEahXTRQeBAck7caV8jlHtT91xWtZk2LG3LT2c"
    "YNuSTEgeNOWBNoVyj/CeHIqfPnO2J7DZaZHlmeDGqET4gwh/qIbumazQ9P059seAYqtd8X"
    "BwL2X7c1CUTHu5lA2u0P4kpRj3/OOe5etZSeyUxzL0pOgBcpWa6R0IjSaHRjOA0M2LtDEL"
    "QvSCA1zafaqKlwiQaafwvDUoSidWIP4ViPxoe6MAqQih0ONXWY9vWrKxWRRclFJwucpc9g"
    "4AG8W4xmgFp6vMaZHF5Pvit4hdz2TzgUYxi9j175HrKZM9GbtuqPM5TFE/FvS0D8grLA01"
    "2sMOwfoKOP/jHn/Uvf5+OPjSYu71zlXgMR04TLte0K4LNL1rD750nALnqlFsOJXsO6hoMp"
    "lnU2nCZXeNUlWYm1UyuUZi4jiXzTitOBRVZ51Mbo9T1dRlizoUbsDqBLHgdZV5rdC9TpOo"
    "By80NzwJp3ch+F5lvpvYNhQobZaBJpVYJKKJuXPr8iuNS5gZeMmLb5JUoCvS/Ig0P28Obg"
    "lpfsKTfQcg1zslTcrKWCDbT3S/2sVIrntCpdQdnjsJUOKjlyk26GuX8tPPQ6jJGbkksj8z"
    "VQ/40xaE7aCq1zIQddCkaY62HEl+uqQabUXpDvK7AKqGnzhMhi9JBn7dAVg92ledgCo7k5"
    "szDTPSuflzND+nmxSsCcUyu0VTqeEZwKSQ9nQMulOT3GkrMCcD4iN4In1h4wmY8soErwsM"
    "FNk2Ic3Slp7ObWc9c38u0EuB5uU2pPdcqcuu1Xmmf3uqtJTi1u5uKHkDfX3WsjIV5Y5b+0"
    "/N5unpZfPk9OLD+dnl5fmHE9+/PVmV5+h+3b2lXndHYT2O54aXk9JMpH0SaZ82y+TDJJ/t"
    "cj/Fuqiw/Uvkf9rRqLHwlmMm0kGlFxwxZHYzZPhzhYkkYdu4i8c/sl5Uox2nE5aCWHopes"
    "pOX/bSAfUJqrzMVckzhN9kLNznqmUyLuI0+Waffqkaj4UBs3LACgPmGxow9/stjUPFNetj"
    "Gj6k2Wa00jWwvn4/SwsbNgCs08RGDA/FtLFuxAz5DwwbIQI3kB2daaqKNb956rcvvDHqxe"
    "YQeXdC6tZ89SIUoyc+ArGP7TFbYxpjXALxdR+lDRHuLzdL+Xrs3aUVcqIbclzpC0dIbOdY"
    "vy810fcVJ3F4HwtoDB/7/W7/lnOZ8sgIA5wLwrXHdpup7NyLpBKOSkc30uBxdAX8y92p5k"
    "rhZlWiziu3LtZXABdR6N+Lc/7UNpinibTkye8XoxKfKk+ecrBt6TZXMrSAQiRD2yIhMW/e"
    "P5HybxtLEstFSbZ6JUUvswbzgEwgz4/8hPoQQgIiNM0sS1624Smdug582IMRagon9lyyDY"
    "0H8QhRHYE++1AI6bMPOVDTyrj8AXWubP8+gdhEN99EqWqSrA58a0qEqI4jvISlRFg6haWz"
    "qsDmWDqFHW4ndrjUobsDXIXxeL2lM2TvMSx1Jivbxnm13G5qhHk0cgnPJU1F2wZW+gbeHp"
    "73VFSnIVp6/JIT8JVhOfejwdZYzYPPYRWzmLP24eiiK7CUn6EJxqw/EyiyYayYZVxj7awF"
    "NF0yc9wAMgIun4CG8bOtp1vay3lMroWe0aYY5jUPSdZQBDZVM7DJ51JR+cQnqLKxWAgnFc"
    "RanKGre4Z+G182LytHyl4cStiRvRO72S4KbsNfydYFAftEhaqw85UJ5vgYjBYQmFAxoAXo"
    "l6lNAF+gsQJuBgyyJU6BagJESwFpZBuI7I6TFd06aehjciMu80Hrg4yF39ub+r2x/xz7qd"
    "debKfFtlNOg8E2poKqo1uSrYCtUDwYBxS1hLmMT9CaEtmq1Bfe7ytF6Pb4XSVvpT7YzyqJ"
    "zwZkD/f6OuCJzwbUjesp3ngJFaswX4lAvSoK4buztYjkjMUNLkztvR1QNUvNWKpGx5/HaT"
    "qd8CTP0ep4zYrpdbIBEbqSCmwgR5XVlbyt9ScacVRIyHyfI2S+TwqZQubJRv8wT79ZMk/i"
    "kFbIYUNXpWe42tZfQ1fJKe8Ah0Chw4NwahFOLbuH662O7wcJ1v7O7wcJj8itXgQkkVu9OF"
    "hho/rmUBX/4MbBgFSm3NyChqosGilCs1tzlCcxy0GbykjL34v/3pahztnC8Qs0TDUtn2u2"
    "fBwiqaMl9vy8iCX2/DzbEkvrYqkwyaTiQNhtXkN0y1FBYGS554qikYchkq1iD6uG9j6CDz"
    "n0ALvfzP7+P9LnM80="
)
